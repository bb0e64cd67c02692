#!/usr/bin/python3
"""Plots of run_bench.sh's result lines ("NAME ours=X stock=Y ratio=Z") as SVG files.

Usage: plot_bench.py RESULTS_FILE OUTDIR

  rings.svg      throughput against tokens for message_ring and fetch_ring, one line per
                 daemon and node count (ours solid, stock dashed)
  recover.svg    recovery time against database size, from recover_r<RECORDS> lines (seconds)
  ratios.svg     every ratio (above 1: ours is better) with the issue's target where one is known
"""
import collections
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

# The targets for ours / stock, by name: a full name or a part of it (see target()).
TARGETS = {
    "fetch_ring_t32": 3,
    "message_ring_t32": 5,
    "t8": 2,
    "many_clients": 2,
    "recover": 5,
    "catdb": 3,
    "vacuum": 3,
}

LINE = re.compile(r"^(\S+) ours=([0-9.eE+-]+) stock=([0-9.eE+-]+) ratio=([0-9.eE+-]+)\s*$")
RING = re.compile(r"^(message_ring|fetch_ring)_t(\d+)_n(\d+)$")
RECOVER = re.compile(r"^recover_r(\d+)$")
RECOVER_FLOOR = re.compile(r"^recover_r(\d+) floor_ratio_ours=([0-9.eE+-]+) ")


def read_results(path):
    """({name: (ours, stock, ratio)} for every result line, {records: our floor ratio} from the
    recover_rN floor_ratio lines); other lines are skipped."""
    results, floor_ratios = {}, {}
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if m:
                results[m.group(1)] = tuple(float(v) for v in m.group(2, 3, 4))
            m = RECOVER_FLOOR.match(line)
            if m:
                floor_ratios[int(m.group(1))] = float(m.group(2))
    return results, floor_ratios


def target(name):
    """The target ratio for a result name, or None: fetch_ring_t32_n5 -> fetch_ring_t32,
    message_ring_t8_n3 -> t8, recover_r100000 -> recover."""
    base = re.sub(r"_n\d+$", "", name)
    if base in TARGETS:
        return TARGETS[base]
    if re.search(r"_t8$", base):
        return TARGETS["t8"]
    return TARGETS.get(re.sub(r"_r\d+$", "", base))


def plot_rings(results, outdir):
    series = collections.defaultdict(list)  # (workload, nodes) -> [(tokens, ours, stock)]
    for name, (ours, stock, _) in results.items():
        m = RING.match(name)
        if m:
            series[(m.group(1), int(m.group(3)))].append((int(m.group(2)), ours, stock))
    workloads = sorted({wl for wl, _ in series})
    if not workloads:
        return None
    fig, axes = plt.subplots(1, len(workloads), figsize=(6 * len(workloads), 4.5), squeeze=False)
    for ax, wl in zip(axes[0], workloads):
        for i, nodes in enumerate(sorted(n for w, n in series if w == wl)):
            points = sorted(series[(wl, nodes)])
            tokens = [p[0] for p in points]
            color = f"C{i}"
            ax.plot(tokens, [p[1] for p in points], "-o", color=color, label=f"ours, {nodes} nodes")
            ax.plot(tokens, [p[2] for p in points], "--s", color=color, label=f"stock, {nodes} nodes")
        ax.set_xscale("log", base=2)
        ax.set_xticks([1, 2, 4, 8, 16, 32])
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("tokens in flight")
        ax.set_ylabel("messages/s" if wl == "message_ring" else "locks/s")
        ax.set_ylim(bottom=0)
        ax.set_title(wl)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    return save(fig, outdir, "rings.svg")


def plot_recover(results, outdir, floor_ratios=None):
    """Recovery time against records for both sides; floor_ratios ({records: floor / ours})
    adds the libtdb store floor."""
    points = sorted(
        (int(m.group(1)), v[0], v[1])
        for name, v in results.items()
        for m in [RECOVER.match(name)]
        if m
    )
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(6, 4.5))
    records = [p[0] for p in points]
    ax.plot(records, [p[1] for p in points], "-o", label="ours")
    ax.plot(records, [p[2] for p in points], "--s", label="stock")
    floor = [(p[0], floor_ratios[p[0]] * p[1]) for p in points if p[0] in (floor_ratios or {})]
    if floor:
        ax.plot([f[0] for f in floor], [f[1] for f in floor], ":^", color="gray",
                label="libtdb store floor")
    ax.set_xscale("log")
    ax.set_xlabel("records in the database")
    ax.set_ylabel("recovery time (s)")
    ax.set_ylim(bottom=0)
    ax.set_title("recovery")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return save(fig, outdir, "recover.svg")


def plot_ratios(results, outdir):
    # Lines where smaller is better and the ratio is ours/stock as printed are left out, and so
    # are counts of what vacuuming left (a ratio of thousands when one side leaves almost none).
    names = [n for n in results if not n.endswith(("_growth_kib", "_left_records"))]
    if not names:
        return None
    ratios = [results[n][2] for n in names]
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(names) + 2), 5))
    x = range(len(names))
    ax.bar(x, ratios, color=["C2" if r >= 1 else "C3" for r in ratios])
    ax.axhline(1, color="black", linewidth=0.8)
    labelled = False
    for i, name in enumerate(names):
        t = target(name)
        if t is not None:
            ax.hlines(t, i - 0.4, i + 0.4, colors="C0", linestyles="--",
                      label=None if labelled else "target")
            labelled = True
    ax.set_xticks(list(x))
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize="small")
    ax.set_ylabel("ours / stock (above 1: ours is better)")
    if max(ratios) / max(min(ratios), 1e-3) > 20:
        ax.set_yscale("log")
    if labelled:
        ax.legend()
    ax.grid(True, axis="y", alpha=0.3)
    return save(fig, outdir, "ratios.svg")


def save(fig, outdir, name):
    path = f"{outdir}/{name}"
    fig.tight_layout()
    fig.savefig(path, format="svg")
    plt.close(fig)
    return path


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    results, floors = read_results(argv[1])
    if not results:
        print(f"plot_bench.py: no result lines in {argv[1]}", file=sys.stderr)
        return 1
    for path in (plot_rings(results, argv[2]), plot_recover(results, argv[2], floors),
                 plot_ratios(results, argv[2])):
        if path:
            print(f"plot_bench.py: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
