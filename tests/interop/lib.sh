# Interop helpers: run the same stock `ctdb` command against a reference node and a subject
# node, normalise what legitimately differs between two daemons, and assert equal results.
#
# Needs tests/lib/harness.sh loaded first. A test names its two nodes in IX_REF and IX_SUBJ
# (harness node names). Normalised away, per side:
#   - that node's socket path, directory (db paths), address and daemon PID;
#   - ping round-trip times and client counts (the stock daemon has a recovery daemon
#     connected as a client, ours recovers in-process);
#   - dates, elapsed times, recovery durations, the (random) generation;
#   - with --counters: every number (statistics), except the frozen/recovering flags.
# The ctdb tool itself is the same binary on both sides, so its version string needs nothing.

[ -n "${H_HARNESS_LOADED:-}" ] || source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

IX_STDERR=${IX_STDERR:-1}  # 1: also assert equal (normalised) stderr, as its own assertion

declare -A IX_SCRIPT  # node -> its sed script (built once: escaping costs forks)

_ix_escape() { printf '%s' "$1" | sed 's/[][\.*^$/+?(){}|]/\\&/g'; }

# ix_normalise NODE [--counters] < text > text
ix_normalise() {
  local node=$1 counters=${2:-}
  if [ -z "${IX_SCRIPT[$node]:-}" ]; then
    local sock dir addr pid=${H_PID[$node]}
    sock=$(_ix_escape "${H_SOCK[$node]}")
    dir=$(_ix_escape "${H_DIR[$node]}")
    addr=$(_ix_escape "${H_ADDR[$node]}")
    IX_SCRIPT[$node]="
s/$sock/<SOCKET>/g
s/$dir/<NODEDIR>/g
s/(^|[^0-9.])$addr([^0-9.]|\$)/\\1<ADDR>\\2/g
s/(^|[^0-9])$pid([^0-9]|\$)/\\1<PID>\\2/g
s/time=[0-9]+\\.[0-9]+ sec/time=<T> sec/g
s/\\([0-9]+ clients\\)/(<N> clients)/g
s/[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}/<DATE>/g
s/\\([0-9]{3} [0-9]{2}:[0-9]{2}:[0-9]{2}\\)/(<ELAPSED>)/g
s/(Duration of last recovery\\/failover: )[0-9]+\\.[0-9]+/\\1<SECS>/
s/^Generation:[0-9]+\$/Generation:<GEN>/
s/^connect\\(\\) failed, errno=(2|111)\$/connect() failed, errno=<ENOENT|ECONNREFUSED>/
"
  fi
  local script=${IX_SCRIPT[$node]}
  if [ "$counters" == --counters ]; then
    script+="
/^( (frozen|recovering) |CTDB version )/b
s/[0-9]+(\\.[0-9]+)?/N/g
s/  +/ /g
"
  fi
  sed -E -e "$script"
}

# ix_run NODE OUTPREFIX STDIN ARGS...: runs the tool, leaves OUTPREFIX.{out,err,rc}.
ix_run() {
  local node=$1 prefix=$2 input=$3
  shift 3
  h_ctdb "$node" "$@" <"$input" >"$prefix.out" 2>"$prefix.err"
  echo $? >"$prefix.rc"
}

IX_SEQ=0

# ix_compare NAME [--counters] [--stdin FILE] [--drop REGEX] [--] ARGS...
# --drop removes the subject's stdout lines matching REGEX before comparing: for
# documented additions of ours (the seed's extra tunables).
# Runs `ctdb ARGS` against IX_REF then IX_SUBJ and asserts the same normalised stdout and
# exit code (and, when IX_STDERR=1, the same normalised stderr, as "NAME (stderr)").
# On a difference, prints both exit codes and a unified diff (reference first).
ix_compare() {
  local name=$1
  shift
  local counters="" input=/dev/null drop=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --counters) counters=--counters; shift ;;
      --drop) drop=$2; shift 2 ;;
      --stdin) input=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  IX_SEQ=$((IX_SEQ + 1))
  local base
  printf -v base '%s/cmp/%03d' "$H_TMP" $IX_SEQ
  [ -d "$H_TMP/cmp" ] || mkdir "$H_TMP/cmp"
  ix_run "$IX_REF" "$base.ref" "$input" "$@"
  ix_run "$IX_SUBJ" "$base.subj" "$input" "$@"
  local side
  for side in ref subj; do
    local node=$IX_REF
    [ $side == subj ] && node=$IX_SUBJ
    ix_normalise "$node" $counters <"$base.$side.out" >"$base.$side.nout"
    ix_normalise "$node" <"$base.$side.err" >"$base.$side.nerr"
  done
  if [ -n "$drop" ]; then
    grep -Ev -- "$drop" "$base.subj.nout" >"$base.subj.dropped" || true
    mv "$base.subj.dropped" "$base.subj.nout"
  fi
  local rc_ref rc_subj
  rc_ref=$(<"$base.ref.rc")
  rc_subj=$(<"$base.subj.rc")
  local label="$name [ctdb $*]"
  if [ "$rc_ref" == "$rc_subj" ] && cmp -s "$base.ref.nout" "$base.subj.nout"; then
    pass "$label"
  else
    local details=("exit code: reference $rc_ref, subject $rc_subj")
    if cmp -s "$base.ref.nout" "$base.subj.nout"; then
      details+=("stdout: same")
    else
      details+=("stdout diff (normalised; - reference, + subject):"
        "$(diff -u --label reference --label subject "$base.ref.nout" "$base.subj.nout")")
    fi
    details+=("stderr reference: $(head -c 2000 "$base.ref.nerr")"
      "stderr subject:   $(head -c 2000 "$base.subj.nerr")")
    fail "$label" "${details[@]}"
  fi
  if [ "$IX_STDERR" == 1 ]; then
    if cmp -s "$base.ref.nerr" "$base.subj.nerr"; then
      pass "$label (stderr)"
    else
      fail "$label (stderr)" "stderr diff (normalised; - reference, + subject):" \
        "$(diff -u --label reference --label subject "$base.ref.nerr" "$base.subj.nerr")"
    fi
  fi
  # The reference's raw stdout stays available to the caller (e.g. listvars -> names).
  IX_LAST_REF_OUT=$base.ref.out
}

# ix_steady NODE: the node is RUNNING, in NORMAL recovery mode, and OK.
ix_steady() {
  local st
  [ "$(h_ctdb "$1" runstate 2>/dev/null)" == RUNNING ] || return 1
  st=$(h_ctdb "$1" status 2>/dev/null) || return 1
  [[ "$st" == *"Recovery mode:NORMAL (0)"* && "$st" == *" OK (THIS NODE)"* ]]
}

# ix_sort_records < catdb output > the same records in sorted order. A volatile database's
# catdb shows the records of all nodes in the order their traverse replies arrive, which is a
# race on any daemon; the per-record text, the record count and the closing line are kept.
ix_sort_records() {
  local text records last
  text=$(cat)
  last=$(grep '^Dumped ' <<<"$text")
  # One line per record (its lines joined by a byte the tool never prints), sorted, split again.
  records=$(grep -v '^Dumped ' <<<"$text" | awk 'BEGIN { RS = "" } { gsub(/\n/, "\001"); print }' |
    LC_ALL=C sort | tr '\001' '\n' | sed 's/^key/\nkey/' | sed '1{/^$/d}')
  [ -z "$records" ] || printf '%s\n\n' "$records"
  [ -z "$last" ] || printf '%s\n' "$last"
}

# ix_compare_pair NAME REFNODE SUBJNODE [--stdin FILE] [--filter FUNC] [--] ARGS...
# ix_compare for an explicit pair of nodes (one of each cluster), for sequences where the same
# command runs against node i of both clusters. In ARGS and the --stdin file name, %SIDE%
# becomes "ref" for the reference and "subj" for the subject, so that each side gets its own
# files (backups); where such a per-side word appears in the output it is turned back into the
# %SIDE% form. After ix_normalise, the sed -E script in IX_SED (if set) runs on both sides'
# stdout and stderr: for what the test itself knows differs (other nodes' addresses).
# --filter FUNC pipes both normalised stdouts through FUNC (e.g. ix_sort_records). Asserts the same stdout and exit code, then (IX_STDERR=1) the same stderr.
ix_compare_pair() {
  local name=$1 ref=$2 subj=$3
  shift 3
  local input=/dev/null filter=cat
  while [ $# -gt 0 ]; do
    case "$1" in
      --stdin) input=$2; shift 2 ;;
      --filter) filter=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  IX_SEQ=$((IX_SEQ + 1))
  local base
  printf -v base '%s/cmp/%03d' "$H_TMP" $IX_SEQ
  [ -d "$H_TMP/cmp" ] || mkdir "$H_TMP/cmp"
  local side node a back
  for side in ref subj; do
    node=$ref
    [ $side == subj ] && node=$subj
    local args=() undo=""
    for a in "$@"; do
      args+=("${a//%SIDE%/$side}")
      if [[ "$a" == *%SIDE%* ]]; then
        undo+="s/$(_ix_escape "${a//%SIDE%/$side}")/$(_ix_escape "$a")/g;"
      fi
    done
    ix_run "$node" "$base.$side" "${input//%SIDE%/$side}" "${args[@]}"
    for a in out err; do
      sed -E -e "$undo" "$base.$side.$a" | ix_normalise "$node" |
        sed -E -e "${IX_SED:-}" >"$base.$side.n$a"
    done
    "$filter" <"$base.$side.nout" >"$base.$side.fout" && mv "$base.$side.fout" "$base.$side.nout"
  done
  local rc_ref rc_subj
  rc_ref=$(<"$base.ref.rc")
  rc_subj=$(<"$base.subj.rc")
  local label="$name [$ref/$subj: ctdb $*]"
  if [ "$rc_ref" == "$rc_subj" ] && cmp -s "$base.ref.nout" "$base.subj.nout"; then
    pass "$label"
  else
    local details=("exit code: reference $rc_ref, subject $rc_subj")
    if cmp -s "$base.ref.nout" "$base.subj.nout"; then
      details+=("stdout: same")
    else
      details+=("stdout diff (normalised; - reference, + subject):"
        "$(diff -u --label reference --label subject "$base.ref.nout" "$base.subj.nout")")
    fi
    details+=("stderr reference: $(head -c 2000 "$base.ref.nerr")"
      "stderr subject:   $(head -c 2000 "$base.subj.nerr")")
    fail "$label" "${details[@]}"
  fi
  if [ "$IX_STDERR" == 1 ]; then
    if cmp -s "$base.ref.nerr" "$base.subj.nerr"; then
      pass "$label (stderr)"
    else
      fail "$label (stderr)" "stderr diff (normalised; - reference, + subject):" \
        "$(diff -u --label reference --label subject "$base.ref.nerr" "$base.subj.nerr")"
    fi
  fi
  IX_LAST_REF_OUT=$base.ref.out
  IX_LAST_SUBJ_OUT=$base.subj.out
}
