#!/bin/bash
# `ctdb --json` against three of our nodes: for each command that prints data, the JSON
# document (read with Python's json module, which rejects anything but one valid document)
# carries the same values as the text the same command prints. Node states are made
# non-trivial (a DISABLED node, an UNHEALTHY one whose failing monitor script prints quotes,
# backslashes, a tab, UTF-8 and a control character, a PARTIALLYONLINE one); failing commands
# print nothing on stdout and keep their exit codes; `-n all` gives one document.
source "$(dirname "$0")/../lib/harness.sh"

h_init cli_json
OURS=$CTDB_BUILD_DIR/ctdb
[ -x "$OURS" ] || { fail "our ctdb tool is built" "no executable at $OURS"; h_finish; }
H_TOOL=$OURS
A=(127.0.25.1 127.0.25.2 127.0.25.3)

# ---- the checker: python3 jcheck.py KIND TEXT_FILE JSON_FILE [TEXT_AFTER_FILE]
# Prints each difference it finds and exits 1 if there is any.
cat >"$H_TMP/jcheck.py" <<'PY'
import json, re, sys, time

kind, text_path, json_path = sys.argv[1:4]
errs = []

def load_json(path):
    with open(path, 'rb') as f:
        raw = f.read()
    def no_constant(c):
        raise ValueError('not JSON: %s' % c)
    # One document, valid UTF-8, no NaN/Infinity: anything else raises.
    return json.loads(raw.decode('utf-8'), parse_constant=no_constant)

def read_text(path):
    with open(path, 'rb') as f:
        return f.read().decode('utf-8', 'surrogateescape')

def eq(what, text_value, json_value):
    if text_value != json_value:
        errs.append('%s: text %r, json %r' % (what, text_value, json_value))

def pnn_or_null(s):  # the text's -1 / UNKNOWN / 4294967295 are JSON's null
    return None if s in ('-1', 'UNKNOWN', '4294967295') else int(s)

FLAG_ORDER = [('DISCONNECTED', 0x1), ('UNKNOWN', 0x40), ('DISABLED', 0x4), ('BANNED', 0x8),
              ('UNHEALTHY', 0x2), ('DELETED', 0x10), ('STOPPED', 0x20), ('INACTIVE', 0x39)]

def flag_names(flags):
    return [n for n, bit in FLAG_ORDER if flags & bit]

NODE_ROW = re.compile(r'^pnn:(\d+) +(\S+) +(\S+)( \(THIS NODE\))?$')

def check_node_rows(lines, nodes, where):
    rows = [NODE_ROW.match(l).groups() for l in lines if NODE_ROW.match(l)]
    eq(where + ': number of node rows', len(rows), len(nodes))
    for (pnn, addr, state, this), n in zip(rows, nodes):
        w = '%s: pnn %s' % (where, pnn)
        eq(w + ' pnn', int(pnn), n['pnn'])
        eq(w + ' address', addr, n['address'])
        eq(w + ' state', state, n['state'])
        eq(w + ' this_node', this is not None, n['this_node'])
        eq(w + ' flag_names agree with flags', flag_names(n['flags']), n['flag_names'])
        want = 'PARTIALLYONLINE' if n['partially_online'] else ('|'.join(n['flag_names']) or 'OK')
        eq(w + ' state agrees with flags', want, n['state'])
        if n['partially_online']:
            eq(w + ' PARTIALLYONLINE has no flags', 0, n['flags'])
    return rows

def field(lines, prefix):
    for l in lines:
        if l.startswith(prefix):
            return l[len(prefix):]
    errs.append('no line starting with %r' % prefix)
    return None

# statistics / dbstatistics text: counters (nested under a section), buckets, latencies.
LATENCY = re.compile(r'^ (\w+) +MIN/AVG/MAX +([\d.]+)/([\d.]+)/([\d.]+) sec out of (\d+)$')
LATENCY_KEYS = {'locks_latency': 'locks.latency', 'reclock_ctdbd': 'reclock.ctdbd',
                'reclock_recd': 'reclock.recd', 'call_latency': 'call_latency',
                'childwrite_latency': 'childwrite_latency', 'vacuum_latency': 'vacuum.latency'}

def parse_counters(text):
    out, section = {}, ''
    for l in text.splitlines():
        m = LATENCY.match(l)
        if m:
            key = LATENCY_KEYS[m.group(1)]
            out[key] = {'min': m.group(2), 'avg': m.group(3), 'max': m.group(4),
                        'num': int(m.group(5))}
            continue
        m = re.match(r'^ (hop_count_buckets|lock_buckets):((?: \d+)*)$', l)
        if m:
            key = 'locks.buckets' if m.group(1) == 'lock_buckets' else 'hop_count_buckets'
            out[key] = [int(v) for v in m.group(2).split()]
            continue
        m = re.match(r'^ (\w+)$', l)
        if m:
            section = m.group(1) + '.'
            continue
        m = re.match(r'^     (\w+) +(\d+)$', l)
        if m:
            out[section + m.group(1)] = int(m.group(2))
            continue
        m = re.match(r'^ (\w+) +(\d+)$', l)
        if m:
            section = ''
            out[m.group(1)] = int(m.group(2))
    return out

def lookup(doc, key):
    for part in key.split('.'):
        doc = doc[part]
    return doc

def check_counters(text, doc, after=None):
    before = parse_counters(text)
    later = parse_counters(after) if after is not None else before
    if not before:
        errs.append('no counters in the text')
    for key, v in before.items():
        try:
            j = lookup(doc, key)
        except (KeyError, TypeError):
            errs.append('%s: in the text, not in the JSON' % key)
            continue
        if isinstance(v, dict):
            # A latency: its count between the two text runs; the figures as the text shows
            # them when nothing was counted in between.
            lo, hi = v['num'], later[key]['num']
            if not lo <= j['num'] <= hi:
                errs.append('%s.num: %d not within the text runs %d..%d' % (key, j['num'], lo, hi))
            if lo == hi:
                for f in ('min', 'avg', 'max'):
                    eq('%s.%s' % (key, f), v[f], '%.6f' % j[f])
        elif isinstance(v, list):
            if v == later[key]:
                eq(key, v, j)
            else:
                eq(key + ' length', len(v), len(j))
        elif not min(v, later[key]) <= j <= max(v, later[key]):
            errs.append('%s: %d not within the text runs %d..%d' % (key, j, v, later[key]))

text = read_text(text_path)
lines = text.splitlines()
try:
    doc = load_json(json_path)
except ValueError as e:
    print('not one valid JSON document: %s' % e)
    sys.exit(1)
after = read_text(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] != '-' else None

def ctime(t):
    return time.ctime(int(t))

if kind in ('status', 'nodestatus'):
    rows = check_node_rows(lines, doc['nodes'], kind)
    if lines and lines[0].startswith('Number of nodes:'):
        eq('Number of nodes', int(lines[0].split(':')[1].split()[0]), doc['num_nodes'])
    eq('num_deleted', 0, doc['num_deleted'])
    eq('(THIS NODE) marks the node asked', [int(r[0]) for r in rows if r[3]],
       [n['pnn'] for n in doc['nodes'] if n['pnn'] == doc['pnn']])
    if kind == 'status':
        g = field(lines, 'Generation:')
        eq('generation', None if g == 'INVALID' else int(g), doc['generation'])
        eq('vnnmap size', int(field(lines, 'Size:')), len(doc['vnnmap']))
        vnn = [tuple(map(int, re.match(r'hash:(\d+) lmaster:(\d+)', l).groups()))
               for l in lines if l.startswith('hash:')]
        eq('vnnmap', vnn, [(v['hash'], v['lmaster']) for v in doc['vnnmap']])
        m = re.match(r'(\w+) \((\d+)\)', field(lines, 'Recovery mode:'))
        eq('recovery_mode_name', m.group(1), doc['recovery_mode_name'])
        eq('recovery_mode', int(m.group(2)), doc['recovery_mode'])
        eq('leader', pnn_or_null(field(lines, 'Leader:')), doc['leader'])
elif kind == 'status_machine':
    cols = lines[0].strip('|').split('|')
    bits = {'Disconnected': 0x1, 'Unknown': 0x40, 'Banned': 0x8, 'Disabled': 0x4,
            'Unhealthy': 0x2, 'Stopped': 0x20, 'Inactive': 0x39}
    rows = [dict(zip(cols, l.strip('|').split('|'))) for l in lines[1:]]
    eq('rows', len(rows), len(doc['nodes']))
    for r, n in zip(rows, doc['nodes']):
        eq('Node', int(r['Node']), n['pnn'])
        eq('IP', r['IP'], n['address'])
        for col, bit in bits.items():
            eq('pnn %s %s' % (r['Node'], col), r[col] == '1', bool(n['flags'] & bit))
        eq('PartiallyOnline', r['PartiallyOnline'] == '1', n['partially_online'])
        eq('ThisNode', r['ThisNode'] == 'Y', n['this_node'])
elif kind == 'ip':
    eq('header', 'Public IPs on ALL nodes' if doc['all_nodes'] else
       'Public IPs on node %s' % doc['pnn'], lines[0])
    rows = lines[1:]
    eq('number of addresses', len(rows), len(doc['public_ips']))
    for l, ip in zip(rows, doc['public_ips']):
        m = re.match(r'^(\S+) node\[(-?\d+)\] active\[(.*)\] available\[(.*)\] '
                     r'configured\[(.*)\]$', l)
        if m:  # -v
            addr, pnn, active, avail, conf = m.groups()
            eq(addr + ' active', active or None, ip['active_interface'])
            eq(addr + ' available', avail, ','.join(ip['available_interfaces']))
            eq(addr + ' configured', conf, ','.join(ip['configured_interfaces']))
        else:
            addr, pnn = l.split()
        eq('address', addr, ip['address'])
        eq(addr + ' pnn', pnn_or_null(pnn), ip['pnn'])
elif kind == 'ipinfo':
    eq('address', field(lines, 'IP:'), doc['address'])
    eq('current_pnn', pnn_or_null(field(lines, 'CurrentNode:')), doc['current_pnn'])
    eq('NumInterfaces', int(field(lines, 'NumInterfaces:')), len(doc['interfaces']))
    rows = [re.match(r'^Interface\[(\d+)\]: Name:(\S+) Link:(up|down) References:(\d+)'
                     r'( \(active\))?$', l).groups() for l in lines if l.startswith('Interface[')]
    for (i, name, link, refs, active), f in zip(rows, doc['interfaces']):
        eq('interface %s name' % i, name, f['name'])
        eq('interface %s link_up' % i, link == 'up', f['link_up'])
        eq('interface %s link_state' % i, link == 'up', f['link_state'] != 0)
        eq('interface %s references' % i, int(refs), f['references'])
        eq('interface %s active' % i, active is not None, f['active'])
elif kind == 'ifaces':
    rows = [re.match(r'^name:(\S+) link:(up|down) references:(\d+)$', l).groups()
            for l in lines[1:]]
    eq('header', 'Interfaces on node %d' % doc['pnn'], lines[0])
    eq('number of interfaces', len(rows), len(doc['interfaces']))
    for (name, link, refs), f in zip(rows, doc['interfaces']):
        eq('name', name, f['name'])
        eq(name + ' link_up', link == 'up', f['link_up'])
        eq(name + ' references', int(refs), f['references'])
elif kind == 'listnodes':
    eq('addresses', lines, [n['address'] for n in doc['nodes']])
    eq('pnns', list(range(len(lines))), [n['pnn'] for n in doc['nodes']])
elif kind == 'getdbmap':
    eq('Number of databases', int(field(lines, 'Number of databases:')), len(doc['databases']))
    rows = [re.match(r'^dbid:0x([0-9a-f]{8}) name:(\S+) path:(\S+)((?: [A-Z]+)*)$', l).groups()
            for l in lines[1:]]
    for (dbid, name, path, words), db in zip(rows, doc['databases']):
        eq('db_id', int(dbid, 16), db['db_id'])
        eq('name', name, db['name'])
        eq('path', path, db['path'])
        shown = [w for w in ('PERSISTENT', 'STICKY', 'READONLY', 'REPLICATED')
                 if w in db['flag_names']] + ([] if db['healthy'] else ['UNHEALTHY'])
        eq(name + ' flags', words.split(), shown)
        for w in ('persistent', 'sticky', 'readonly', 'replicated'):
            eq(name + ' ' + w, w.upper() in words.split(), db[w])
elif kind == 'getdbstatus':
    eq('db_id', int(field(lines, 'dbid: '), 16), doc['db_id'])
    eq('name', field(lines, 'name: '), doc['name'])
    eq('path', field(lines, 'path: '), doc['path'])
    for w in ('persistent', 'replicated', 'sticky', 'readonly'):
        eq(w, field(lines, w.upper() + ': ') == 'yes', doc[w])
    eq('health', field(lines, 'HEALTH: '), doc['health'])
    eq('healthy', field(lines, 'HEALTH: ') == 'OK', doc['healthy'])
elif kind == 'statistics':
    eq('CTDB version', 'CTDB version %d' % doc['protocol_version'], lines[0])
    eq('collected since', ctime(doc['statistics_start_time']),
       field(lines, 'Statistics collected since  : ').split(') ', 1)[1])
    check_counters(text, doc, after)
elif kind == 'dbstatistics':
    eq('name', 'DB Statistics %s' % doc['name'], lines[0])
    check_counters(text, doc)
    eq('Num Hot Keys', int(field(lines, ' Num Hot Keys:')), doc['num_hot_keys'])
    keys = [re.match(r'^     Count:(\d+) Key:([0-9a-f]*)$', l).groups()
            for l in lines if l.startswith('     Count:')]
    eq('hot keys', [(int(c), k) for c, k in keys],
       [(k['count'], k['key_hex']) for k in doc['hot_keys']])
elif kind == 'controlstats':
    def rows(t):
        return {m.group(1): (int(m.group(2)), int(m.group(3))) for m in
                (re.match(r'^(\S+) +(\d+) +(\d+) ', l) for l in t.splitlines()[1:]) if m}
    first, last = rows(text), rows(after)
    got = {c['name']: c for c in doc['controls']}
    if not first:
        errs.append('no controls in the text')
    for name, (calls, failed) in first.items():
        if name not in got:
            errs.append('%s: in the text, not in the JSON' % name)
            continue
        if not calls <= got[name]['calls'] <= last[name][0]:
            errs.append('%s calls %d not within %d..%d' % (name, got[name]['calls'], calls,
                                                           last[name][0]))
        if not failed <= got[name]['failures'] <= last[name][1]:
            errs.append('%s failures not within the text runs' % name)
        eq(name + ' latency.num counts the calls', got[name]['calls'], got[name]['latency']['num'])
    for name in got:
        if name not in last:
            errs.append('%s: in the JSON, not in the later text' % name)
elif kind == 'uptime':
    # The text ran first, a second boundary may lie between the two.
    shown = field(lines, 'Current time of node %-4d     :                ' % doc['pnn'])
    seconds = time.mktime(time.strptime(shown, '%a %b %d %H:%M:%S %Y'))
    if not seconds <= doc['current_time'] < seconds + 3:
        errs.append('current time: text %r, json %r' % (shown, ctime(doc['current_time'])))
    eq('start time', field(lines, 'Ctdbd start time              : ').split(') ', 1)[1],
       ctime(doc['ctdbd_start_time']))
    eq('last recovery', field(lines, 'Time of last recovery/failover: ').split(') ', 1)[1],
       ctime(doc['last_recovery_finished']))
    eq('duration', field(lines, 'Duration of last recovery/failover: '),
       '%.6f seconds' % doc['last_recovery_duration'])
    eq('uptime_seconds', int(doc['current_time']) - int(doc['ctdbd_start_time']),
       doc['uptime_seconds'])
elif kind == 'scriptstatus':
    # Walk the text, expecting what the JSON says, in order.
    pos = 0
    def expect(s, what):
        global pos
        if text.startswith(s, pos):
            pos += len(s)
        else:
            errs.append('%s: expected %r at %r' % (what, s, text[pos:pos + 60]))
            raise StopIteration
    try:
        for e in doc['events']:
            if e['never_run']:
                expect('%s cycle never run\n' % e['event'], e['event'])
                continue
            expect('%d scripts were executed last %s cycle\n' % (e['num_executed'], e['event']),
                   e['event'])
            for s in e['scripts']:
                w = '%s/%s' % (e['event'], s['name'])
                if s['status_name'] == 'CANNOT RUN':
                    expect('%-20s Status:CANNOT RUN (%s)' % (s['name'], s['error']), w)
                else:
                    expect('%-20s Status:%s    ' % (s['name'], s['status_name']), w)
                if s['status'] >= 0:
                    m = re.compile(r'Duration:(\d+\.\d{3}) ').match(text, pos)
                    if not m or abs(float(m.group(1)) - s['duration']) > 0.0005 + 1e-9:
                        errs.append('%s duration %s, json %r' % (w, m and m.group(1),
                                                                 s['duration']))
                        raise StopIteration
                    pos = m.end()
                if s['status_name'] == 'DISABLED':
                    expect('\n', w)
                    continue
                expect(ctime(s['start']) + '\n', w + ' start time')
                if s['status'] != 0:
                    expect('   OUTPUT:%s\n' % s['output'], w + ' output')
        if pos != len(text):
            errs.append('text left over: %r' % text[pos:])
    except StopIteration:
        pass
elif kind == 'getvar':
    m = re.match(r'^(\S+) += (\d+)$', lines[0])
    eq('name', m.group(1), doc['name'])
    eq('value', int(m.group(2)), doc['value'])
elif kind == 'listvars':
    eq('variables', [(m.group(1), int(m.group(2))) for m in
                     (re.match(r'^(\S+) += (\d+)$', l) for l in lines)],
       [(v['name'], v['value']) for v in doc['variables']])
elif kind == 'getcapabilities':
    eq('LEADER', field(lines, 'LEADER: ') == 'YES', doc['leader'])
    eq('LMASTER', field(lines, 'LMASTER: ') == 'YES', doc['lmaster'])
    eq('LEADER in capability_names', doc['leader'], 'LEADER' in doc['capability_names'])
    eq('capabilities bit 0', doc['leader'], bool(doc['capabilities'] & 1))
    eq('capabilities bit 1', doc['lmaster'], bool(doc['capabilities'] & 2))
elif kind == 'scalar':  # KEY=TEXT: the one line of text is the JSON member KEY
    key = sys.argv[5]
    want = doc[key]
    got = text.rstrip('\n')
    if want is None:
        eq(key, got, {'leader': 'UNKNOWN', 'reclock': ''}.get(key, 'null'))
    elif isinstance(want, int) and got.startswith('0x'):
        eq(key, int(got, 16), want)
    elif isinstance(want, int):
        eq(key, int(got), want)
    else:
        eq(key, got, want)
elif kind == 'ping':
    m = re.match(r'^response from (\d+) time=[\d.]+ sec  \((\d+) clients\)$', lines[0])
    eq('pnn', int(m.group(1)), doc['pnn'])
    eq('num_clients', int(m.group(2)), doc['num_clients'])
    if not 0 <= doc['time'] < 10:
        errs.append('time %r' % doc['time'])
elif kind == 'gettickles':
    eq('address', field(lines, 'Connections for IP: '), doc['address'])
    eq('Num connections', int(field(lines, 'Num connections: ')), len(doc['connections']))
    eq('connections', [l for l in lines if l.startswith('SRC:')],
       ['SRC: %s:%d   DST: %s:%d' % (c['source'], c['source_port'], c['destination'],
                                      c['destination_port']) for c in doc['connections']])
elif kind == 'lvs_list':
    eq('nodes', lines, ['%d %s' % (n['pnn'], n['address']) for n in doc['nodes']])
elif kind == 'lvs_seed':
    eq('nodes', lines, ['%d:%s' % (n['pnn'], n['address']) for n in doc['nodes']])
elif kind == 'lvs_leader':
    eq('leader', lines, [] if doc['leader'] is None else [str(doc['leader']['pnn'])])
elif kind == 'lvsmaster':
    eq('leader', lines[0], 'There is no LVS master' if doc['leader'] is None else
       'Node %d is LVS master' % doc['leader'])
elif kind == 'natgw_leader':
    eq('leader', lines, [] if doc['leader'] is None else
       ['%d %s' % (doc['leader']['pnn'], doc['leader']['address'])])
elif kind == 'natgw_list':
    want = []
    for n in doc['nodes']:
        opts = ([] if not n['leader'] else ['LEADER']) + ([n['option']] if n['option'] else [])
        want.append(n['address'] + ('\t' + ','.join(opts) if opts else ''))
    eq('list', lines, want)
elif kind == 'group_status':
    check_node_rows(lines, doc['nodes'], 'status')
elif kind == 'natgwlist':
    eq('leader', lines[0], '-1 0.0.0.0' if doc['leader'] is None else
       '%d %s' % (doc['leader']['pnn'], doc['leader']['address']))
    eq('Number of nodes', 'Number of nodes:%d' % doc['num_nodes'], lines[1])
    check_node_rows(lines[2:], doc['nodes'], 'natgwlist')
elif kind == 'all_getpid':
    eq('pids', [int(l) for l in lines], [n['result']['pid'] for n in doc['nodes']])
    eq('each node once, by pnn', sorted(n['pnn'] for n in doc['nodes']),
       [n['pnn'] for n in doc['nodes']])
    for n in doc['nodes']:
        eq('pnn %d result.pnn' % n['pnn'], n['pnn'], n['result']['pnn'])
        eq('pnn %d exit_code' % n['pnn'], 0, n['exit_code'])
elif kind == 'all_nodestatus':  # TEXT: `-n all nodestatus`, one line per node (own view)
    rows = [NODE_ROW.match(l).groups() for l in lines]
    eq('one result per row', len(rows), len(doc['nodes']))
    for (pnn, addr, state, this), n in zip(rows, doc['nodes']):
        eq('pnn', int(pnn), n['pnn'])
        eq('pnn %s: the result is its own node' % pnn, [int(pnn)],
           [x['pnn'] for x in n['result']['nodes']])
        eq('pnn %s: state' % pnn, state, n['result']['nodes'][0]['state'])
        eq('pnn %s: exit_code is its flags' % pnn, n['result']['nodes'][0]['flags'],
           n['exit_code'])
else:
    errs.append('unknown kind ' + kind)

for e in errs:
    print(e)
sys.exit(1 if errs else 0)
PY

# run NAME ARGS...: our tool on node NAME; OUT, ERR, RC.
run() { run_tool ours "$@"; }

# compare LABEL KIND NODE ARGS...: `ctdb ARGS` as text and with --json on NODE: the same exit
# code, no complaint on stderr that the text run did not make, and the same values (jcheck.py
# KIND). PASS or FAIL LABEL.
compare() {
  local label=$1 kind=$2 node=$3
  shift 3
  compare_with "$label" "$kind" "$node" "" "$@"
}

# compare_with LABEL KIND NODE EXTRA ARGS...: compare, with EXTRA "after" (a second text run
# after the JSON one, for counters that move) or "key=K" (the JSON member a one-line text is).
compare_with() {
  local label=$1
  shift
  if compare_quiet "$@"; then pass "$label [ctdb --json ${*:4}]"; else
    fail "$label [ctdb --json ${*:4}]" "$CMP_DETAIL"
  fi
}

# compare_quiet KIND NODE EXTRA ARGS...: the comparison alone; the reason for a difference in
# CMP_DETAIL.
compare_quiet() {
  local kind=$1 node=$2 extra=$3
  shift 3
  local t=$H_TMP/cmp.text j=$H_TMP/cmp.json a=$H_TMP/cmp.after trc jrc out args=()
  h_ctdb "$node" "$@" >"$t" 2>"$t.err"
  trc=$?
  h_ctdb "$node" --json "$@" >"$j" 2>"$j.err"
  jrc=$?
  args=("$kind" "$t" "$j")
  if [ "$extra" == after ]; then
    h_ctdb "$node" "$@" >"$a" 2>/dev/null
    args+=("$a")
  elif [ "${extra%%=*}" == key ]; then
    args+=(- "${extra#key=}")
  fi
  if [ "$trc" != "$jrc" ]; then
    CMP_DETAIL="exit codes: text $trc, json $jrc"$'\n'"$(cat "$t.err" "$j.err")"
  elif [ -s "$j.err" ] && ! cmp -s "$t.err" "$j.err"; then
    CMP_DETAIL="stderr with --json: $(cat "$j.err")"
  elif out=$(python3 "$H_TMP/jcheck.py" "${args[@]}" 2>&1); then
    return 0
  else
    CMP_DETAIL="$out"$'\n'"--- text:"$'\n'"$(cat "$t")"$'\n'"--- json:"$'\n'"$(cat "$j")"
  fi
  return 1
}

# compare_eventually LABEL DEADLINE KIND NODE ARGS...: compare, for output that changes now and
# then (each monitor run): PASS once the two runs agree within DEADLINE seconds.
compare_eventually() {
  local label=$1 deadline=$2
  shift 2
  CMP_ARGS=("$1" "$2" "" "${@:3}")
  if wait_for 'compare_quiet "${CMP_ARGS[@]}"' "$deadline" 0.2; then
    pass "$label [ctdb --json ${*:3}]"
  else
    fail "$label [ctdb --json ${*:3}]" "$CMP_DETAIL"
  fi
}

# compare_machine LABEL NODE: `ctdb -X status` columns against `ctdb --json status`.
compare_machine() {
  local out
  h_ctdb "$2" -X status >"$H_TMP/st.x"
  h_ctdb "$2" --json status >"$H_TMP/st.json"
  if out=$(python3 "$H_TMP/jcheck.py" status_machine "$H_TMP/st.x" "$H_TMP/st.json" 2>&1); then
    pass "$1"
  else
    fail "$1" "$out"
  fi
}

# scalar LABEL NODE KEY ARGS...: a command that prints one value.
scalar() {
  local label=$1 node=$2 key=$3
  shift 3
  compare_with "$label" scalar "$node" "key=$key" "$@"
}

# json_error LABEL RC NODE ARGS...: `ctdb --json ARGS` fails with exit code RC, prints nothing
# on stdout and says why on stderr.
json_error() {
  local label=$1 want=$2 node=$3
  shift 3
  run "$node" --json "$@"
  if [ "$RC" == "$want" ] && [ -z "$OUT" ] && [ -n "$ERR" ]; then
    pass "$label: exit $want, stdout empty, stderr: $(head -n 1 <<<"$ERR")"
  else
    fail "$label" "exit $RC (want $want)" "stdout: $OUT" "stderr: $ERR"
  fi
}

# ---- three nodes: public addresses on lo, event scripts, LVS and NAT-GW groups
h_write_nodes "$H_TMP/j.nodes" "${A[@]}"
for i in 0 1 2; do
  d=$H_TMP/j$i
  mkdir -p "$d/events.d"
  printf '%s/32 lo\n' "${A[@]}" >"$d/public_addresses"
  printf '#!/bin/sh\nexit 0\n' >"$d/events.d/00.json"
  # Fails the monitor event while $H_TMP/fail.N exists, with output JSON must escape.
  cat >"$d/events.d/10.fail" <<EOS
#!/bin/sh
if [ "\$1" = monitor ] && [ -e "$H_TMP/fail.$i" ]; then
  printf 'say "no" back\\\\slash\\ttab caf\\303\\251 \\001\\n'
  exit 3
fi
exit 0
EOS
  printf '#!/bin/sh\nexit 0\n' >"$d/events.d/20.off"  # not executable: DISABLED
  chmod +x "$d/events.d/00.json" "$d/events.d/10.fail"
done
export CTDB_LVS_NODES=$H_TMP/lvs_nodes CTDB_NATGW_NODES=$H_TMP/natgw_nodes
printf '%s\n' "${A[1]}" "${A[2]}" >"$CTDB_LVS_NODES"
printf '%s\n' "${A[0]}" "${A[1]} follower-only" "${A[2]}" >"$CTDB_NATGW_NODES"

h_start_ours_args j0 "${A[0]}" "$H_TMP/j.nodes" --reclock="$H_TMP/j.reclock" --lvs
h_start_ours_args j1 "${A[1]}" "$H_TMP/j.nodes" --reclock="$H_TMP/j.reclock"
h_start_ours_args j2 "${A[2]}" "$H_TMP/j.nodes" --reclock="$H_TMP/j.reclock"
for n in j0 j1 j2; do h_wait_ping "$n" || { fail "$n answers ping"; h_finish; }; done
h_wait_converged "three nodes OK" 45 j0 j1 j2 -- OK OK OK || h_finish
# Every address hosted by some node.
hosted() { [ "$(h_ctdb j0 ip all | awk 'NR > 1 && $2 == -1' | wc -l)" == 0 ]; }
check "every public address is hosted" wait_for hosted 30 0.2

# ---- all nodes OK
compare "status, all OK" status j0 status
compare_machine "status -X columns equal the JSON, all OK" j1
compare "nodestatus" nodestatus j1 nodestatus
compare "ip" ip j0 ip
compare "ip -v" ip j1 -v ip
compare "ip all" ip j2 ip all
compare "ip all -v" ip j0 -v ip all
compare "ip -n all (the seed's form)" ip j0 -n all ip
for a in "${A[@]}"; do compare "ipinfo $a" ipinfo j0 ipinfo "$a"; done
compare "ifaces" ifaces j1 ifaces
compare "listnodes" listnodes j0 listnodes
scalar "version" j0 version version
scalar "pnn" j1 pnn pnn
scalar "getpid" j2 pid getpid
scalar "getpid -n 1" j0 pid -n 1 getpid
scalar "leader" j0 leader leader
scalar "recmaster (the seed's name)" j1 leader recmaster
scalar "getreclock" j0 reclock getreclock
scalar "runstate" j0 runstate_name runstate
scalar "runstate running (a check that passes)" j0 runstate_name runstate running
scalar "getdebug" j1 level_name getdebug
compare "getvar" getvar j0 getvar KeepaliveInterval
compare "listvars" listvars j0 listvars
compare "getcapabilities (LVS node)" getcapabilities j0 getcapabilities
compare "getcapabilities" getcapabilities j2 getcapabilities
compare "uptime" uptime j1 uptime
compare "ping" ping j0 ping
compare_with "statistics" statistics j0 after statistics
compare_with "controlstats" controlstats j0 after controlstats

# Databases: a volatile and a persistent one with a record.
run j0 attach json.tdb && run j0 attach json_p.tdb persistent && run j0 pstore json_p.tdb k v
assert_eq "databases attached, record stored" 0 "$RC"
compare "getdbmap" getdbmap j0 getdbmap
compare "getdbmap on pnn 2" getdbmap j0 -n 2 getdbmap
compare "getdbstatus volatile" getdbstatus j0 getdbstatus json.tdb
compare "getdbstatus persistent" getdbstatus j1 getdbstatus json_p.tdb
compare "dbstatistics" dbstatistics j0 dbstatistics json.tdb
scalar "getdbseqnum" j0 seqnum getdbseqnum json_p.tdb

# Tickles on the node that hosts an address.
host=$(h_ctdb j0 ip all | awk -v a="${A[0]}" '$1 == a { print $2 }')
run "j$host" addtickle "${A[0]}:445" "${A[2]}:40000"
assert_eq "addtickle on pnn $host" 0 "$RC"
compare "gettickles" gettickles "j$host" gettickles "${A[0]}"

compare "lvs list" lvs_list j0 lvs list
compare "lvs (the seed's form)" lvs_seed j0 lvs
compare "lvs leader" lvs_leader j0 lvs leader
compare "lvs status" group_status j2 lvs status
compare "lvsmaster" lvsmaster j0 lvsmaster
compare "natgw leader" natgw_leader j0 natgw leader
compare "natgw list" natgw_list j0 natgw list
compare "natgw status" group_status j1 natgw status
compare "natgwlist" natgwlist j0 natgwlist
compare "-n all getpid: one document" all_getpid j0 -n all getpid

# ---- pnn 1 DISABLED, pnn 2 UNHEALTHY (its monitor script fails)
run j1 disable
assert_eq "ctdb disable on pnn 1" 0 "$RC"
touch "$H_TMP/fail.2"
H_VNNMAP_SIZE=3 h_wait_converged "pnn 1 DISABLED, pnn 2 UNHEALTHY" 30 j0 j1 j2 -- \
  OK DISABLED UNHEALTHY || h_finish
compare "status with DISABLED and UNHEALTHY" status j2 status
compare "status on the disabled node" status j1 status
compare_machine "status -X columns equal the JSON flags" j0
run j0 --json status
st=$(python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join("%d:%d:%s" % (n["pnn"], n["flags"], ",".join(n["flag_names"])) for n in d["nodes"]))
' <<<"$OUT")
assert_eq "JSON flags: raw and named" "0:0: 1:4:DISABLED 2:2:UNHEALTHY" "$st"
compare "nodestatus all (exit code: the flags or-ed)" nodestatus j0 nodestatus all
compare "nodestatus 1,2" nodestatus j0 nodestatus 1,2
compare "-n all nodestatus: one document" all_nodestatus j0 -n all nodestatus
compare "ip all -v, one node hosting" ip j0 -v ip all
# scriptstatus: a monitor run may finish between the two runs; they agree once both show one.
compare_eventually "scriptstatus on the UNHEALTHY node (escaped output)" 20 scriptstatus j0 \
  -n 2 scriptstatus
run j0 --json -n 2 scriptstatus
out=$(python3 -c 'import json, sys
d = json.load(sys.stdin)
print([(s["name"], s["status_name"], s["output"]) for s in d["events"][0]["scripts"]])' <<<"$OUT")
assert_eq "scriptstatus JSON: the failing script's output, decoded" \
  "[('00.json', 'OK', ''), ('10.fail', 'ERROR', 'say \"no\" back\\\\slash\\ttab café \\x01\\n')]" \
  "$out"
compare_eventually "scriptstatus all (DISABLED scripts, events never run)" 20 scriptstatus j1 \
  scriptstatus all
compare "lvs leader moves to the unhealthy node" lvs_leader j0 lvs leader
compare "lvs status" group_status j0 lvs status
compare "lvsmaster" lvsmaster j1 lvsmaster
compare "natgw list" natgw_list j0 natgw list
compare "natgwlist" natgwlist j2 natgwlist

# ---- PARTIALLYONLINE: pnn 0's interface down
run j0 setifacelink lo down
assert_eq "setifacelink lo down prints nothing" "0:" "$RC:$OUT"
check "pnn 0 shows PARTIALLYONLINE" wait_for \
  "h_ctdb j0 nodestatus 0 | grep -q PARTIALLYONLINE" 20 0.2
# The takeover run that follows releases the address (pnn 1 is DISABLED, pnn 2 UNHEALTHY: no node
# can host it); compared before that, the text and the JSON could fall on either side of it.
# 4.17 prints the unassigned pnn (-1) unsigned.
check "no node can host ${A[0]}: it is released (CurrentNode:4294967295)" wait_for \
  "h_ctdb j0 ipinfo ${A[0]} | grep -qx 'CurrentNode:4294967295'" 20 0.2
compare "status with PARTIALLYONLINE" status j1 status
compare "ifaces, link down" ifaces j0 ifaces
compare "ipinfo, link down" ipinfo j0 ipinfo "${A[0]}"
run j0 setifacelink lo up

# ---- failures: nothing on stdout, the text's exit code, the reason on stderr
json_error "getvar of an unknown tunable" 1 j0 getvar NoSuchVar
run j0 getvar NoSuchVar
assert_eq "the same without --json: 4.17's message on stdout" "1:No such tunable NoSuchVar" \
  "$RC:$OUT"
run j0 getvar NoSuchVar --json
assert_eq "--json after the arguments: stderr has the message" "1::No such tunable NoSuchVar" \
  "$RC:$OUT:$ERR"
json_error "runstate not in the wanted state" 1 j0 runstate setup
json_error "usage error" 1 j0 getvar
json_error "unknown database" 1 j0 getdbstatus nosuch.tdb
json_error "a command without JSON output" 1 j0 catdb json.tdb
json_error "-X with --json" 1 j0 -X status
json_error "a node that does not exist" 1 j0 -n 7 getpid
run j0 -j setvar RecoveryBanPeriod 250
assert_eq "setvar -j: prints nothing" "0::" "$RC:$OUT:$ERR"
compare "getvar after setvar -j" getvar j0 getvar RecoveryBanPeriod
run j0 -j getvar RecoveryBanPeriod
assert_eq "-j is --json" 250 "$(python3 -c 'import json, sys; print(json.load(sys.stdin)["value"])' \
  <<<"$OUT")"

h_finish
