#!/usr/bin/python3
"""Failover timelines (tools/bench/failover.sh with BENCH_TIMELINES) as SVG files.

Usage: plot_failover.py TIMELINE_DIR OUTDIR

For every CASE with both failover_ours_CASE.txt and failover_stock_CASE.txt in TIMELINE_DIR,
draws OUTDIR/failover_CASE.svg: x is seconds since the node died (t0), and each side (ours,
stock) has four lanes:

  client -> A     every connection attempt, a bar from its start to its end (bars closer than
                  0.1 % of the panel join): answered by the dead node (before it died),
                  failed (timeout; refused, unreachable, noreply, reset or error), answered
                  by a survivor
  node X flags    the dead node's flags as the polled survivor shows them (`ctdb nodestatus`)
  recovery mode   the polled survivor's recovery mode
  owner of A      the node that survivor's `ctdb ip` names for A

The survivor is sampled about every 50 ms: between two samples that differ, the lane is
hatched (the change happened somewhere in there). The top panel shows the whole failover on a
linear axis; when that is much longer than our takeover, a second panel zooms on it (also
linear; stretched to stock's takeover when that at most triples the window), so that a
0.03 s takeover and a 6 s one are both readable.
"""
import collections
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.patches as mpatches  # noqa: E402  (after choosing the backend)
import matplotlib.pyplot as plt  # noqa: E402

SIDES = ("ours", "stock")
CASE_TITLES = {
    "failover": "kill -9 of a non-leader's ctdbd, its public cable pulled",
    "failover_leader": "kill -9 of the leader's ctdbd, its public cable pulled",
    "failover_dead_machine": "both cables of a non-leader pulled",
}
FILE = re.compile(r"^failover_(ours|stock)_(.+)\.txt$")
RUN = re.compile(r"_run\d+$")

OLD = "#4c72b0"        # answered by the dead node / the dead node owns A
SURVIVOR = "#55a868"   # answered by a survivor / a survivor owns A
TIMEOUT = "#c44e52"    # attempt timed out (20 ms)
OTHER_FAIL = "#dd8452"  # refused, unreachable, noreply, reset, error
FLAG_OK = "#b6dcb6"
FLAG_DOWN = "#6b6b6b"
FLAG_OTHER = "#e3b448"
NORMAL = "#dfe6ee"
RECOVERY = "#8172b3"
UNKNOWN = "#ffffff"
LANES = ("client", "state", "recmode", "owner")


def read_timeline(path):
    """(meta dict, events: {kind: [(t, value, rest...)]}) from one timeline file."""
    meta = {}
    events = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                m = re.search(r"run (\d+) of (\d+)", line)
                if m and "median" in line:
                    meta["run"], meta["runs"] = m.group(1), m.group(2)
                for k, v in re.findall(r"(\w+)=(\S+)", line):
                    meta.setdefault(k, v)
                continue
            f_ = line.split()
            if len(f_) < 3:
                continue
            t, kind = float(f_[0]), f_[1]
            if kind == "probe":
                events[kind].append((t, f_[2], float(f_[3])))
            else:
                events[kind].append((t, " ".join(f_[2:])))
    return meta, events


def find_cases(directory):
    """{case: {side: path}} for the cases with a timeline of both sides."""
    found = collections.defaultdict(dict)
    for name in sorted(os.listdir(directory)):
        m = FILE.match(name)
        if m and not RUN.search(m.group(2)):
            found[m.group(2)][m.group(1)] = os.path.join(directory, name)
    return {c: s for c, s in found.items() if all(side in s for side in SIDES)}


def attempt_colour(outcome, dead):
    if outcome == f"node{dead}":
        return OLD
    if outcome.startswith("node"):
        return SURVIVOR
    return TIMEOUT if outcome == "timeout" else OTHER_FAIL


def flag_colour(value):
    if value == "OK":
        return FLAG_OK
    if "DISCONNECTED" in value:
        return FLAG_DOWN
    return UNKNOWN if value == "?" else FLAG_OTHER


def value_runs(samples):
    """[(first, last, value)]: the runs of equal consecutive sampled values."""
    runs = []
    for t, v in samples:
        if runs and runs[-1][2] == v:
            runs[-1][1] = t
        else:
            runs.append([t, t, v])
    return runs


def draw_lane(ax, y, samples, colour, xlim, label_fmt=lambda v: v):
    """One sampled lane at height y: a run of equal samples is a band of its colour from its
    first sample to its last (at least a hair wide, so that a lone sample shows), the time
    between two runs hatched (the value changed in there); a run is labelled in its middle
    when it is wide enough in this panel."""
    width = xlim[1] - xlim[0]
    hair = width * 0.004
    runs = value_runs(samples)
    for (_, last, _), (first, _, _) in zip(runs, runs[1:]):
        ax.broken_barh([(last, first - last)], (y - 0.36, 0.72), facecolors=UNKNOWN,
                       edgecolor="#999999", hatch="////", linewidth=0)
    for first, last, value in runs:
        if last - first < hair:
            first, last = (first + last - hair) / 2, (first + last + hair) / 2
        c = colour(value)
        ax.broken_barh([(first, last - first)], (y - 0.36, 0.72), facecolors=c, linewidth=0)
        x0, x1 = max(first, xlim[0]), min(last, xlim[1])
        text = label_fmt(value)
        if not text or (x1 - x0) < width * 0.012 * (len(text) + 1):
            continue
        dark = c in (FLAG_DOWN, RECOVERY, OLD, SURVIVOR)
        ax.text((x0 + x1) / 2, y, text, ha="center", va="center", fontsize=7,
                color="white" if dark else "black", clip_on=True)


def draw_side(ax, base, meta, events, xlim):
    """The four lanes of one side, from y = base (client) downwards."""
    dead = meta["dead"]
    y = {lane: base - i for i, lane in enumerate(LANES)}
    span = xlim[1] - xlim[0]
    attempts = collections.defaultdict(list)  # colour -> [(start, stop)]
    for start, outcome, stop in events["probe"]:
        if stop >= xlim[0] and start <= xlim[1]:
            attempts[attempt_colour(outcome, dead)].append((start, stop))
    for colour, spans in attempts.items():
        bars = []
        for a, b in spans:
            # At least a hair wide, so that a 0.3 ms answer shows on a 6 s axis; attempts
            # closer than a hair to the previous one join its bar (the SVG stays small).
            b = max(b, a + span * 0.0015)
            if bars and a - bars[-1][1] < span * 0.001:
                bars[-1][1] = b
            else:
                bars.append([a, b])
        ax.broken_barh([(a, b - a) for a, b in bars], (y["client"] - 0.33, 0.66),
                       facecolors=colour, linewidth=0)
    draw_lane(ax, y["state"], events["state"], flag_colour, xlim)
    draw_lane(ax, y["recmode"], events["recmode"], lambda v: RECOVERY if v == "RECOVERY" else
              (NORMAL if v == "NORMAL" else UNKNOWN), xlim)
    draw_lane(ax, y["owner"], events["owner"], lambda v: OLD if v == dead else
              (UNKNOWN if v in ("?", "-1") else SURVIVOR), xlim,
              label_fmt=lambda v: {"?": "", "-1": "none"}.get(v, f"node {v}"))
    accepted = float(meta["seconds"])
    ax.vlines(accepted, y["owner"] - 0.45, y["client"] + 0.45, colors="black",
              linestyles="--", linewidth=1)
    if xlim[0] <= accepted <= xlim[1]:
        ax.annotate(f"{meta['side']}: {accepted:.3f} s", (accepted, y["client"] + 0.45),
                    xytext=(3, 0), textcoords="offset points", fontsize=8, va="bottom")
    polled = meta["polled"]
    return [
        (y["client"], f"{meta['side']}: client → A"),
        (y["state"], f"node {polled} sees: node {dead} flags"),
        (y["recmode"], f"node {polled} sees: recovery mode"),
        (y["owner"], f"node {polled} sees: owner of A"),
    ]


def first_change(events, kind):
    """Time of the first sample after t0 whose value differs from the last one before t0."""
    before = [v for t, v in events[kind] if t < 0]
    for t, v in events[kind]:
        if t >= 0 and before and v != before[-1]:
            return t
    return None


def panel(ax, sides, xlim, title):
    ticks = []
    base = 0
    for side in SIDES:
        meta, events = sides[side]
        ticks += draw_side(ax, base, meta, events, xlim)
        base -= len(LANES) + 1
    ax.axvline(0, color="black", linewidth=1.2)
    ax.annotate("node dies", (0, base + 0.45), xytext=(3, 0), textcoords="offset points",
                fontsize=8, va="bottom")
    ax.set_yticks([t for t, _ in ticks])
    ax.set_yticklabels([label for _, label in ticks], fontsize=8)
    ax.set_ylim(base + 0.4, 1.2)
    ax.set_xlim(*xlim)
    ax.axhline(-len(LANES), color="#444444", linewidth=0.8)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(title, fontsize=9, loc="left")


def plot_case(case, paths, outdir):
    sides = {side: read_timeline(paths[side]) for side in SIDES}
    accepts = {side: float(sides[side][0]["seconds"]) for side in SIDES}
    full = (-0.2, max(accepts.values()) * 1.08 + 0.1)
    # The zoom: from just before the first change a survivor showed to just after our
    # takeover, stretched to stock's when that at most triples it.
    changes = [t for side in SIDES for kind in LANES[1:]
               for t in [first_change(sides[side][1], kind)] if t is not None]
    z0 = max(-0.1, min(changes + [accepts["ours"]]) - 0.1)
    z1 = accepts["ours"] + 0.1
    if accepts["stock"] + 0.1 - z0 <= 3 * (z1 - z0):
        z1 = max(z1, accepts["stock"] + 0.1)
    zoom = (z0, z1) if (full[1] - full[0]) > 3 * (z1 - z0) else None

    fig, axes = plt.subplots(2 if zoom else 1, 1, figsize=(11, 7.6 if zoom else 4.2),
                             squeeze=False)
    runs = sides["ours"][0].get("runs", "?")
    fig.suptitle(f"{case}: {CASE_TITLES.get(case, case)} — ours {accepts['ours']:.3f} s, "
                 f"stock {accepts['stock']:.3f} s (the median of {runs} runs each)",
                 fontsize=10)
    panel(axes[0][0], sides, full, "the whole failover")
    if zoom:
        panel(axes[1][0], sides, zoom, f"zoom: {zoom[0]:.2f} s to {zoom[1]:.2f} s")
    axes[-1][0].set_xlabel("seconds since the node died (kill -9 / cables pulled)")
    legend = [
        mpatches.Patch(color=OLD, label="answered by the dead node / it owns A"),
        mpatches.Patch(color=TIMEOUT, label="attempt timed out (20 ms)"),
        mpatches.Patch(color=OTHER_FAIL, label="refused / unreachable / other failure"),
        mpatches.Patch(color=SURVIVOR, label="answered by a survivor / it owns A"),
        mpatches.Patch(color=FLAG_OK, label="flags OK"),
        mpatches.Patch(color=FLAG_DOWN, label="DISCONNECTED|..."),
        mpatches.Patch(color=NORMAL, label="recovery mode NORMAL"),
        mpatches.Patch(color=RECOVERY, label="recovery mode RECOVERY"),
        mpatches.Patch(facecolor=UNKNOWN, edgecolor="#999999", hatch="////",
                       label="changed between two samples"),
    ]
    fig.legend(handles=legend, loc="lower center", ncol=5, fontsize=7.5, frameon=False,
               bbox_to_anchor=(0.5, 0.012))
    fig.text(0.5, 0.004, "the survivor's lanes: the stock ctdb tool about every 50 ms "
             "(nodestatus, statistics, ip); a state shorter than that may fall between samples",
             ha="center", va="bottom", fontsize=7.5, style="italic")
    fig.tight_layout(rect=(0, 0.07 if zoom else 0.13, 1, 0.97))
    path = f"{outdir}/failover_{case}.svg"
    fig.savefig(path, format="svg")
    plt.close(fig)
    return path


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    cases = find_cases(argv[1])
    if not cases:
        print(f"plot_failover.py: no pair of timelines in {argv[1]}", file=sys.stderr)
        return 1
    for case, paths in cases.items():
        print(f"plot_failover.py: wrote {plot_case(case, paths, argv[2])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
