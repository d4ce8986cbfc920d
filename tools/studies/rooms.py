"""The paper's claims on real, different rooms (#22): ../shared/data/scannet-rooms, train = rooms 1-5, val = rooms
6-8, the CPU-sized configs configs/scannet/*-rooms*.py. Three stages, each a list of runs cached by name under --exp
(a finished run is never redone, so an interrupted study resumes where it stopped; run names do not hold the step
count, so another --steps needs another --exp, into which finished pre-trainings can be linked); runs go in the
order the stages are given, --jobs at a time:

  prepare  the long poles: CSP and no-CSP pre-training of every seed, and a long plain and a long SPD fine-tuning
           (seed 0, 400 steps, evaluated every 25) whose val curves fix the study's fine-tuning length.
  study    --seeds, --steps fine-tuning steps (300: on the long runs' plateau): the 4-row ablation (CSP / no-CSP
           pre-training x plain / SPD fine-tuning) with the cross-room probes of both pre-trainings, the SSM backbone
           fine-tuned from random initialisation, fine-tuning batch size 2 / 4 / 8 at an equal number of optimizer
           steps (plain and SPD), and SPD on the sparse-conv U-Net (SpUNet-native-v1m1) from scratch vs plain.
  search   seed 0: the probe after 50 / 100 / 200 / 300 pre-training steps (CSP and no CSP), the CSP reach of both,
           and at --search-steps fine-tuning steps (150) the teacher reading its batch independently, lambda_SPD
           0.3 / 3 and EMA horizon 0.03 / 0.3; on 100-step pre-trainings, scans per CSP sequence 2 / 4 / 8 (equal
           scans seen) and the paper's plain block (no CPE).

A fine-tuning run is scored by the val mIoU of its last checkpoint over the classes both splits share (every point of
the 5 val scans, Pointcept's evaluator, no test-time voting), evaluated every 50 steps. `tables` writes the markdown
tables (--output) and the curve plots (--figures) from whatever has finished.

    python tools/studies/rooms.py prepare study search --jobs 2
    python tools/studies/rooms.py tables --output docs/results-rooms.md --figures docs/figures
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from pointcept_csp.models.reach import stage_summary  # noqa: E402
from pointcept_csp.utils.run_graph import Run, RunGraph  # noqa: E402
from tools.studies import ablation  # noqa: E402

PRETRAIN = "configs/scannet/pretrain-pointcsp-v1m1-0-rooms.py"
FINETUNE = "configs/scannet/semseg-pointcsp-v1m1-0-rooms.py"
SPUNET = "configs/scannet/semseg-spunet-native-v1m1-0-rooms.py"
TRAIN_SCANS = 10  # scannet-rooms/train
PRETRAIN_STEPS = 300  # the pre-training config: 300 steps of 25 per trainer epoch, a checkpoint every 2 trainer epochs
SHORT_EPOCHS = 40  # the search's sequence-length and CPE pre-trainings: 100 steps at 4 scans per sequence
CURVE_EPOCHS = (2, 4, 8)  # the probe curve: checkpoints after 50, 100 and 200 steps (and the last, 300)
EVAL_EVERY = 50  # fine-tuning steps between evaluations of the study's runs
LONG_EVAL_EVERY = 25  # ... and of the search's long runs (the val curves)


def finetune_schedule(steps: int, batch: int, every: int = EVAL_EVERY, scans: int = TRAIN_SCANS) -> list[str]:
    """Options for `steps` optimizer steps at `batch` of `scans` train scans per step, evaluating every `every` steps.
    The config's trainer epoch loops the train list `epoch // eval_epoch` times and drops the last incomplete batch,
    so one trainer epoch = floor(scans x loops / batch) = `every` steps (exact where `scans` divides every x batch)."""
    loops = -(-every * batch // scans)
    if steps % every or not every * batch <= scans * loops < (every + 1) * batch or scans * loops <= batch:
        raise ValueError(f"{steps} steps at batch {batch} of {scans} scans do not split into {every}-step evaluations")
    evaluations = steps // every
    return [f"epoch={loops * evaluations}", f"eval_epoch={evaluations}", f"batch_size={batch}"]


class Study(RunGraph):
    """The study's runs, declared by stage; each is cached by name under `args.exp` (pointcept_csp.utils.run_graph)."""

    def __init__(self, args):
        super().__init__(ROOT)
        self.args = args

    def add(self, name: str, command: list[str], needs: list[Run] = ()) -> Run:
        return super().add(os.path.join(self.args.exp, name), command, needs)

    def pretrain(self, name: str, seed: int, options: list[str] = ()) -> Run:
        path = os.path.join(self.args.exp, f"pre-{name}-s{seed}")
        command = ["tools/train.py", "--config-file", PRETRAIN, "--options", f"save_path={path}", f"seed={seed}"]
        return self.add(f"pre-{name}-s{seed}", command + list(options))

    def probe(self, pre: Run, epoch: int | None = None, sequence: int = 4, reference: bool = False) -> Run:
        """The cross-room probes of a pre-training's last (or `epoch_{epoch}`) checkpoint; `reference`: also of a
        randomly initialised backbone."""
        checkpoint = os.path.join(pre.path, "model", f"epoch_{epoch}.pth" if epoch else "model_last.pth")
        name = os.path.basename(pre.path).replace("pre-", "probe-") + (f"-e{epoch}" if epoch else "") + ".json"
        path = os.path.join(self.args.exp, name)
        command = [
            "tools/studies/linear_probe.py",
            "--checkpoint",
            checkpoint,
            "--config",
            os.path.join(pre.path, "config.py"),
        ]
        command += ["--data-root", self.args.data_root, "--sequence", str(sequence), "--json", path]
        return self.add(name, command + ([] if reference else ["--no-reference"]), [pre])

    def reach(self, pre: Run) -> Run:
        """The CSP reach report (tools/csp_reach.py) of a pre-training, on crops of its training scans."""
        name = os.path.basename(pre.path).replace("pre-", "reach-") + ".json"
        command = ["tools/csp_reach.py", "--config-file", os.path.join(pre.path, "config.py"), "--weight"]
        command += [os.path.join(pre.path, "model", "model_last.pth"), "--data", "config", "--points", "3000"]
        return self.add(name, command + ["--json", os.path.join(self.args.exp, name)], [pre])

    def finetune(
        self,
        name,
        seed,
        pre: Run | None,
        steps,
        batch=4,
        config=FINETUNE,
        options=(),
        every=EVAL_EVERY,
        scans=TRAIN_SCANS,
    ):
        path = os.path.join(self.args.exp, f"ft-{name}-s{seed}")
        command = ["tools/train.py", "--config-file", config, "--options", f"save_path={path}", f"seed={seed}"]
        command += finetune_schedule(steps, batch, every, scans) + list(options)
        if pre is not None:
            command.append(f"weight={os.path.join(pre.path, 'model', 'model_last.pth')}")
        return self.add(f"ft-{name}-s{seed}", command, [pre] if pre else [])

    # the stages -----------------------------------------------------------------------------------------------------

    def prepare(self, seeds: list[int]) -> None:
        """The long poles first: the long fine-tuning runs that fix the study's length, and every pre-training."""
        csp = self.pretrain("csp", 0)
        self.finetune("long-spd", 0, csp, self.args.long_steps, every=LONG_EVAL_EVERY)
        self.finetune("long-plain", 0, csp, self.args.long_steps, options=self.spd(False), every=LONG_EVAL_EVERY)
        for seed in seeds:
            self.pretrain("csp", seed)
            self.pretrain("nocsp", seed, ["model.cross_sample=False"])

    def study(self, seeds: list[int]) -> None:
        steps = self.args.steps
        for seed in seeds:  # the ablation first: the study's core
            pre = {True: self.pretrain("csp", seed), False: self.pretrain("nocsp", seed, ["model.cross_sample=False"])}
            for csp in (True, False):
                self.probe(pre[csp], reference=csp and seed == 0)
                for spd in (False, True):
                    self.finetune(ablation.run_name(csp, spd), seed, pre[csp], steps, options=self.spd(spd))
        for seed in seeds:  # what pre-training brings to fine-tuning: the same backbone from random initialisation
            self.finetune("scratch-plain", seed, None, steps, options=self.spd(False))
        for seed in seeds:
            for batch in (2, 8):
                for spd in (False, True):
                    name = f"{ablation.run_name(True, spd)}-b{batch}"
                    self.finetune(name, seed, self.pretrain("csp", seed), steps, batch, options=self.spd(spd))
        for seed in seeds:
            for spd in (False, True):
                name = f"spunet-{'spd' if spd else 'plain'}"
                self.finetune(name, seed, None, steps, config=SPUNET, options=self.spd(spd))

    def search(self, seed: int = 0) -> None:
        steps = self.args.search_steps
        csp, nocsp = self.pretrain("csp", seed), self.pretrain("nocsp", seed, ["model.cross_sample=False"])
        variants = {
            "teacher-independent": ["model.teacher_cross_sample=False"],
            "spd-weight-0.3": ["model.lambda_spd=0.3"],
            "spd-weight-3": ["model.lambda_spd=3.0"],
            "horizon-0.03": ["model.momentum.horizon=0.03"],
            "horizon-0.3": ["model.momentum.horizon=0.3"],
        }
        for name, options in variants.items():
            self.finetune(name, seed, csp, steps, options=options)
        for pre in (csp, nocsp):
            self.reach(pre)
            for epoch in CURVE_EPOCHS:
                self.probe(pre, epoch)
        # scans per CSP sequence (2 / 4 / 8 at an equal number of scans seen) and the plain block, on shorter
        # pre-trainings (a third of the config's scans: the CPU budget of the study) with their own 4-scan reference
        short = [f"epoch={SHORT_EPOCHS}", f"eval_epoch={SHORT_EPOCHS // 10}"]
        for sequence in (4, 2, 8):
            pre = self.pretrain(f"short-seq{sequence}", seed, short + [f"batch_size={sequence}"])
            self.probe(pre, sequence=sequence)
        self.probe(self.pretrain("short-nocpe", seed, short + ["model.backbone.cpe=False"]))

    @staticmethod
    def spd(on: bool) -> list[str]:
        return [] if on else ["model.spd=False"]

    # running --------------------------------------------------------------------------------------------------------

    def run(self, args, tables, plots) -> None:
        """What a driver's `main` does once its stages are declared: list them (`--dry-run`), or run them, then
        write the tables to `--output` and the figures when `tables` is among the stages."""
        if args.dry_run:
            self.list_runs()
            return
        self.execute(args.jobs)
        if "tables" in args.stages:
            text = tables(args)
            with open(args.output, "w") as f:
                f.write(text)
            plots(args)
            print(text)


# reading results ----------------------------------------------------------------------------------------------------

VAL = re.compile(r"Val result: mIoU: ([\d.]+) mAcc: ([\d.]+) allAcc: ([\d.]+)")
TRAIN_ITER = re.compile(r"Train: \[(\d+)/\d+\]\[(\d+)/(\d+)\]")


def val_curve(run_dir: str) -> list[tuple[int, float, float, float]]:
    """(step, mIoU, mAcc, OA) of every evaluation of a finished fine-tuning run, in %. The step is the optimizer step
    the log's last "Train: [epoch/E][iter/N]" line reached before the evaluation, so each curve is labelled by what
    its run did, whatever interval it was scheduled with."""
    if not os.path.isfile(os.path.join(run_dir, "done")):
        return []
    curve, step = [], 0
    with open(os.path.join(run_dir, "train.log")) as f:
        for line in f:
            if found := TRAIN_ITER.search(line):
                epoch, it, per_epoch = map(int, found.groups())
                step = (epoch - 1) * per_epoch + it
            elif found := VAL.search(line):
                curve.append((step, *(100 * float(v) for v in found.groups())))
    return curve


def probe_result(path: str, reading: str = "alone", name: str = "pre-trained") -> dict | None:
    if not os.path.isfile(path + ".done"):
        return None
    with open(path) as f:
        result = json.load(f)["results"][name][reading]
    return dict(probe=100 * result["linear_probe"]["mIoU"], consistency=100 * result["class_consistency"])


def mean_std(values: list[float]) -> str:
    if not values:
        return "-"
    values = np.array(values)
    spread = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{values.mean():.1f} ± {spread:.1f}" + (f" (n={len(values)})" if len(values) < 3 else "")


def last_val(exp: str, name: str, seeds: list[int], last: int = 1) -> list[float]:
    """Per seed, the val mIoU of the last checkpoint, or the mean over the `last` evaluations (the plateau's level,
    less noisy than one evaluation)."""
    curves = [curve for s in seeds if (curve := val_curve(os.path.join(exp, f"ft-{name}-s{s}")))]
    return [float(np.mean([c[1] for c in curve[-last:]])) for curve in curves]


def paired_differences(exp: str, with_: str, without: str, seeds: list[int]) -> list[float]:
    """Per seed where both runs finished, the last-checkpoint val mIoU of run `with_` minus that of `without`."""
    pairs = [(last_val(exp, with_, [s]), last_val(exp, without, [s])) for s in seeds]
    return [a[0] - b[0] for a, b in pairs if a and b]


def tables(args) -> str:
    exp, seeds = args.exp, args.seeds
    command = "python tools/studies/rooms.py " + shlex.join(sys.argv[1:])
    lines = [
        "# Real rooms (#22): raw tables",
        "",
        f"Produced by `{command}` from the runs of `tools/studies/rooms.py search` and `study` (see its docstring).",
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
    parser.add_argument("stages", nargs="+", choices=["prepare", "study", "search", "tables"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=300, help="fine-tuning optimizer steps of the study")
    parser.add_argument("--search-steps", type=int, default=150, help="fine-tuning steps of the search's variants")
    parser.add_argument("--long-steps", type=int, default=400, help="the search's long fine-tuning runs")
    parser.add_argument("--data-root", default=os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-rooms"))
    parser.add_argument("--exp", default=os.path.join("exp", "rooms-study"))
    parser.add_argument("--jobs", type=int, default=2, help="runs at once, each single-threaded")
    parser.add_argument("--output", default=os.path.join("docs", "results-rooms.md"))
    parser.add_argument("--figures", default=os.path.join("docs", "figures"))
    parser.add_argument("--dry-run", action="store_true", help="list the runs and their state, run nothing")
    args = parser.parse_args()
    study = Study(args)
    for stage in args.stages:
        if stage == "prepare":
            study.prepare(args.seeds)
        elif stage == "study":
            study.study(args.seeds)
        elif stage == "search":
            study.search()
    study.run(args, tables, plots)


if __name__ == "__main__":
    main()
