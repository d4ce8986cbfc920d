"""The tables and figure of the data-efficient study (tools/studies/efficient.py), from whatever of its runs has
finished: each row's val mIoU per regime, paired per-seed effects, few-labels / all-labels ratios, the probe fitted on
the LA 20 labels, seed 0's val curves; the figure of mIoU against labelled points per scan.

    python tools/studies/efficient_report.py --exp exp/efficient-study --output docs/results-efficient.md \\
        --figures docs/figures
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tools.data_efficient import scene_folders  # noqa: E402
from tools.studies.efficient import EFFECTS, PEER, POINTS, ROWS  # noqa: E402
from tools.studies.run_results import last_val, mean_std, paired_differences, probe_result, val_curve  # noqa: E402

REGIMES = ("la20", "la200", "all", "lr1", "lr3")


def tables(args) -> str:
    exp, seeds = args.exp, args.seeds
    lines = [
        "# Data-efficient study (#29): raw tables",
        "",
        f"Produced by `python tools/studies/efficient_report.py {shlex.join(sys.argv[1:])}` (see its docstring).",
        "Val mIoU over the 10 classes both splits share, 5 val scans of unseen rooms, in %; mean ± std over seeds,",
        f"`n=` where fewer than {len(seeds)} seeds finished; last checkpoint ({args.steps} steps) \\| mean of the",
        "last 3 evaluations.",
        "",
        "| row | " + " | ".join(REGIMES) + " |",
        "|---|" + "---|" * len(REGIMES),
    ]
    for row in [row for row, *_ in ROWS] + [PEER]:
        cells = []
        for regime in REGIMES:
            last, plateau = (last_val(exp, f"{regime}-{row}", seeds, n) for n in (1, 3))
            cells.append(f"{mean_std(last)} \\| {mean_std(plateau)}" if last else "-")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    lines += ["", "Paired per-seed differences (last checkpoint), mIoU points:", ""]
    lines += ["| effect | " + " | ".join(REGIMES) + " |", "|---|" + "---|" * len(REGIMES)]
    for title, with_, without in EFFECTS:
        cells = []
        for regime in REGIMES:
            diffs = paired_differences(exp, f"{regime}-{with_}", f"{regime}-{without}", seeds)
            cells.append(f"{mean_std(diffs)} ({' / '.join(f'{d:+.1f}' for d in diffs)})" if diffs else "-")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    lines += ["", "Few labels / all labels (ratio of the seed means):", ""]
    lines += ["| row | " + " | ".join(r for r in REGIMES if r != "all") + " |", "|---|" + "---|" * (len(REGIMES) - 1)]
    for row in [row for row, *_ in ROWS] + [PEER]:
        full = last_val(exp, f"all-{row}", seeds)
        cells = []
        for regime in (r for r in REGIMES if r != "all"):
            few = last_val(exp, f"{regime}-{row}", seeds)
            cells.append(f"{np.mean(few) / np.mean(full):.2f}" if few and full else "-")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    lines += ["", f"Cross-room linear probe fitted on the la{POINTS[0]} labels (frozen backbone, val mIoU):", ""]
    lines += ["| backbone | each scan alone | in CSP sequences of 4 |", "|---|---|---|"]
    for pre_name, title, result_name in (
        ("csp", "CSP pre-training", "pre-trained"),
        ("nocsp", "no-CSP pre-training", "pre-trained"),
        ("csp", "random init", "random init"),
    ):
        cells = []
        for reading in ("alone", "csp"):
            found = [
                r["probe"]
                for seed in seeds
                if (
                    r := probe_result(
                        os.path.join(exp, f"probe-la{POINTS[0]}-{pre_name}-s{seed}.json"), reading, result_name
                    )
                )
            ]
            cells.append(mean_std(found))
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    lines += ["", "Val curves of seed 0 (mIoU at each evaluation), for the plateau:", ""]
    for regime in REGIMES:
        for row, *_ in ROWS:
            curve = val_curve(os.path.join(exp, f"ft-{regime}-{row}-s0"))
            if curve:
                lines.append(f"- {regime} {row}: " + ", ".join(f"{step}: {miou:.1f}" for step, miou, *_ in curve))
    return "\n".join(lines) + "\n"


def plot(args) -> None:
    """mIoU against labelled points per train scan (20, 200, all), one line per pre-training, plain fine-tuning."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labelled = []  # the 'all' column's labelled points per scan
    for scan in scene_folders(args.data_root, "train"):
        segment = np.load(os.path.join(args.data_root, "train", scan, "segment20.npy"))
        labelled.append(int((segment != -1).sum()))
    xs = {"la20": 20, "la200": 200, "all": float(np.mean(labelled))}
    if sum(bool(last_val(args.exp, f"{r}-csp-plain", args.seeds)) for r in xs) < 2:
        print("figure not written: it needs at least two of la20, la200 and all (the `more` stage)")
        return
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for row, label in (
        ("scratch-plain", "random init"),
        ("nocsp-plain", "no-CSP pre-training"),
        ("csp-plain", "CSP pre-training"),
        ("csp-spd", "CSP pre-training + SPD"),
        (PEER, "sparse-conv U-Net, random init (la20, all)"),
    ):
        points = [(x, last_val(args.exp, f"{r}-{row}", args.seeds)) for r, x in xs.items()]
        points = [(x, np.mean(v), np.std(v, ddof=1) if len(v) > 1 else 0.0) for x, v in points if v]
        if points:
            x, mean, std = zip(*points)
            style = "none" if row == PEER else "-"  # the peer ran at la20 and all only: no line between
            ax.errorbar(x, mean, std, marker="o", capsize=3, linestyle=style, label=label)
    ax.set_xscale("log")
    ax.set(xlabel="labelled points per train scan", ylabel="val mIoU (%)", title=f"scannet-rooms, seeds {args.seeds}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    os.makedirs(args.figures, exist_ok=True)
    fig.savefig(os.path.join(args.figures, "efficient-miou-vs-labels.png"), dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exp", default=os.path.join("exp", "efficient-study"), help="the study's --exp")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=300, help="the study's fine-tuning steps (for the titles)")
    parser.add_argument("--data-root", default=os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-rooms"))
    parser.add_argument("--output", default=os.path.join("docs", "results-efficient.md"))
    parser.add_argument("--figures", default=os.path.join("docs", "figures"))
    args = parser.parse_args()
    text = tables(args)
    with open(args.output, "w") as f:
        f.write(text)
    plot(args)
    print(text)


if __name__ == "__main__":
    main()
