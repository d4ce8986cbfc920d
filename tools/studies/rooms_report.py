"""The tables and figures of the real-rooms study (tools/studies/rooms.py), from whatever of its runs has finished:
the search (seed 0), the 4-row ablation over seeds with paired differences and probes, batch size, SPD on the
sparse-conv U-Net; figures of the probe against pre-training length and of the val curves.

    python tools/studies/rooms_report.py --exp exp/rooms-study --output docs/results-rooms.md --figures docs/figures
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from pointcept_csp.models.reach import stage_summary  # noqa: E402
from tools.studies import ablation  # noqa: E402
from tools.studies.rooms import CURVE_EPOCHS, PRETRAIN_STEPS  # noqa: E402
from tools.studies.run_results import last_val, mean_std, paired_differences, probe_result, val_curve  # noqa: E402


def tables(args) -> str:
    exp, seeds = args.exp, args.seeds
    command = "python tools/studies/rooms_report.py " + shlex.join(sys.argv[1:])
    lines = [
        "# Real rooms (#22): raw tables",
        "",
        f"Produced by `{command}` from the runs of `tools/studies/rooms.py` (see its docstring).",
        "Every mIoU is over the 10 classes both splits share, on the 5 val scans (rooms 6-8), in %.",
        "",
        "## Search (seed 0)",
        "",
        "| pre-training | probe mIoU (alone) | probe mIoU (CSP reading) | consistency (alone) | consistency (CSP) |",
        "|---|---|---|---|---|",
    ]
    reference = probe_result(os.path.join(exp, "probe-csp-s0.json"), name="random init")
    if reference:
        csp_ref = probe_result(os.path.join(exp, "probe-csp-s0.json"), "csp", "random init")
        lines.append(
            f"| random init | {reference['probe']:.1f} | {csp_ref['probe']:.1f} | {reference['consistency']:.1f} | "
            f"{csp_ref['consistency']:.1f} |"
        )
    for name, title in [
        ("csp", "CSP, 4 scans per sequence, CPE (300 steps)"),
        ("nocsp", "no CSP (300 steps)"),
        ("short-seq4", "CSP, 4 scans per sequence, CPE (100 steps)"),
        ("short-seq2", "CSP, 2 scans per sequence (200 steps of 2)"),
        ("short-seq8", "CSP, 8 scans per sequence (50 steps of 8)"),
        ("short-nocpe", "CSP, 4 scans per sequence, plain block, no CPE (100 steps)"),
    ]:
        path = os.path.join(exp, f"probe-{name}-s0.json")
        alone, together = probe_result(path), probe_result(path, "csp")
        if alone:
            lines.append(
                f"| {title} | {alone['probe']:.1f} | {together['probe']:.1f} | {alone['consistency']:.1f} | "
                f"{together['consistency']:.1f} |"
            )
    lines += ["", "CSP reach (tools/csp_reach.py, CSP mode, 3000-point crops of the train scans):", ""]
    lines += ["| pre-training | tokens feeling the previous scene (lowest block) | output feature change |"]
    lines += ["|---|---|---|"]
    for name in ("csp", "nocsp"):
        path = os.path.join(exp, f"reach-{name}-s0.json")
        if os.path.isfile(path + ".done"):
            with open(path) as f:
                report = json.load(f)["csp"]
            changed = min(s["min_changed"] for s in stage_summary(report))
            lines.append(f"| {name} | {100 * changed:.0f}% | {report['output']:.3g} |")
    lines += [
        "",
        "Pre-training length (probe mIoU, each scan read alone):",
        "",
        "| steps | CSP | no CSP |",
        "|---|---|---|",
    ]
    for epoch in list(CURVE_EPOCHS) + [None]:
        cells = []
        for name in ("csp", "nocsp"):
            result = probe_result(os.path.join(exp, f"probe-{name}-s0" + (f"-e{epoch}" if epoch else "") + ".json"))
            cells.append(f"{result['probe']:.1f}" if result else "-")
        lines.append(f"| {25 * epoch if epoch else PRETRAIN_STEPS} | " + " | ".join(cells) + " |")
    lines += ["", "Fine-tuning variants (val mIoU of the last checkpoint, from the CSP pre-training):", ""]
    lines += ["| fine-tuning | steps | val mIoU |", "|---|---|---|"]
    for name in (
        "long-plain",
        "long-spd",
        "csp-plain",
        "csp-spd",
        "teacher-independent",
        "spd-weight-0.3",
        "spd-weight-3",
        "horizon-0.03",
        "horizon-0.3",
    ):
        curve = val_curve(os.path.join(exp, f"ft-{name}-s0"))
        if curve:
            lines.append(f"| {name} | {curve[-1][0]} | {curve[-1][1]:.1f} |")
    lines += [
        "",
        f"## Ablation (seeds {seeds}, {args.steps} fine-tuning steps)",
        "",
        "| row | pre-training | fine-tuning | val mIoU | mean of the last 3 evaluations |",
        "|---|---|---|---|---|",
    ]
    for row, csp, spd in ablation.ROWS:
        name = ablation.run_name(csp, spd)
        values = [mean_std(last_val(exp, name, seeds, last)) for last in (1, 3)]
        lines.append(
            f"| {row} | {'CSP' if csp else 'no CSP'} | {'SPD' if spd else 'plain'} | " + " | ".join(values) + " |"
        )
    values = [mean_std(last_val(exp, "scratch-plain", seeds, last)) for last in (1, 3)]
    lines.append("| (reference) | none (random init) | plain | " + " | ".join(values) + " |")
    lines += ["", "Paired per-seed differences (same seed, one factor changed), val mIoU points:", ""]
    lines += ["| effect | mean ± std | per seed |", "|---|---|---|"]
    for title, with_, without in (
        ("CSP, plain fine-tuning", "csp-plain", "nocsp-plain"),
        ("CSP, SPD fine-tuning", "csp-spd", "nocsp-spd"),
        ("SPD, no-CSP pre-training", "nocsp-spd", "nocsp-plain"),
        ("SPD, CSP pre-training", "csp-spd", "csp-plain"),
        ("full vs baseline", "csp-spd", "nocsp-plain"),
        ("CSP pre-training vs random init, plain fine-tuning", "csp-plain", "scratch-plain"),
        ("SPD on SpUNet-native-v1m1 (from scratch)", "spunet-spd", "spunet-plain"),
    ):
        diffs = paired_differences(exp, with_, without, seeds)
        lines.append(f"| {title} | {mean_std(diffs)} | {' / '.join(f'{d:+.1f}' for d in diffs)} |")
    lines += ["", "| pre-training | probe mIoU alone | probe mIoU CSP reading | consistency alone | consistency CSP |"]
    lines += ["|---|---|---|---|---|"]
    for name in ("csp", "nocsp"):
        cells = []
        for reading in ("alone", "csp"):
            for key in ("probe", "consistency"):
                found = [
                    r[key] for s in seeds if (r := probe_result(os.path.join(exp, f"probe-{name}-s{s}.json"), reading))
                ]
                cells.append(mean_std(found))
        lines.append(f"| {name} | {cells[0]} | {cells[2]} | {cells[1]} | {cells[3]} |")
    lines += ["", f"## Batch size (CSP pre-training, {args.steps} optimizer steps at every batch size)", ""]
    lines += [
        "| fine-tuning | batch 2 | batch 4 | batch 8 | spread of the means | spread within a seed |",
        "|---|---|---|---|---|---|",
    ]
    for spd in (False, True):
        base = ablation.run_name(True, spd)
        names = [base if b == 4 else f"{base}-b{b}" for b in (2, 4, 8)]
        cells = [last_val(exp, name, seeds) for name in names]
        means = [np.mean(c) for c in cells if c]
        spread = f"{max(means) - min(means):.1f}" if len(means) == 3 else "-"
        per_seed = [[last_val(exp, n, [s]) for n in names] for s in seeds]
        per_seed = [max(v[0] for v in row) - min(v[0] for v in row) for row in per_seed if all(row)]
        lines.append(
            f"| {'SPD' if spd else 'plain'} | " + " | ".join(mean_std(c) for c in cells) + f" | {spread} | "
            f"{mean_std(per_seed)} |"
        )
    lines += ["", f"## SPD on SpUNet-native-v1m1 (from scratch, {args.steps} steps)", ""]
    lines += ["| fine-tuning | val mIoU |", "|---|---|"]
    for name in ("spunet-plain", "spunet-spd"):
        lines.append(f"| {name} | {mean_std(last_val(exp, name, seeds))} |")
    return "\n".join(lines) + "\n"


def plots(args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(args.figures, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, label in (("csp", "CSP"), ("nocsp", "no CSP")):
        points = []
        for epoch in list(CURVE_EPOCHS) + [None]:
            result = probe_result(
                os.path.join(args.exp, f"probe-{name}-s0" + (f"-e{epoch}" if epoch else "") + ".json")
            )
            if result:
                points.append((25 * epoch if epoch else PRETRAIN_STEPS, result["probe"]))
        if points:
            ax.plot(*zip(*points), marker="o", label=label)
    reference = probe_result(os.path.join(args.exp, "probe-csp-s0.json"), name="random init")
    if reference:
        ax.axhline(reference["probe"], color="gray", linestyle="--", label="random init")
    ax.set(xlabel="pre-training steps", ylabel="cross-room linear probe mIoU (%)", title="scannet-rooms, seed 0")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(args.figures, "rooms-probe-vs-pretraining.png"), dpi=120)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, label in (("long-plain", "CSP, plain, seed 0"), ("long-spd", "CSP, SPD, seed 0")):
        curve = val_curve(os.path.join(args.exp, f"ft-{name}-s0"))
        if curve:
            ax.plot([c[0] for c in curve], [c[1] for c in curve], marker=".", label=label)
    for offset, (csp, spd) in zip((-4.5, -1.5, 1.5, 4.5), ((True, False), (True, True), (False, False), (False, True))):
        name = ablation.run_name(csp, spd)
        curves = [c for s in args.seeds if (c := val_curve(os.path.join(args.exp, f"ft-{name}-s{s}")))]
        if len(curves) > 1 and len({len(c) for c in curves}) == 1:
            values = np.array([[c[1] for c in curve] for curve in curves])
            steps = [c[0] + offset for c in curves[0]]  # side by side, so the error bars stay readable
            ax.errorbar(steps, values.mean(0), values.std(0, ddof=1), capsize=2, label=f"{name}, {len(curves)} seeds")
    ax.set(xlabel="fine-tuning steps", ylabel="val mIoU (%)", title="scannet-rooms, seed 0 long runs, study mean ± std")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(args.figures, "rooms-val-vs-finetuning.png"), dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exp", default=os.path.join("exp", "rooms-study"), help="the study's --exp")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=300, help="the study's fine-tuning steps (for the titles)")
    parser.add_argument("--output", default=os.path.join("docs", "results-rooms.md"))
    parser.add_argument("--figures", default=os.path.join("docs", "figures"))
    args = parser.parse_args()
    text = tables(args)
    with open(args.output, "w") as f:
        f.write(text)
    plots(args)
    print(text)


if __name__ == "__main__":
    main()
