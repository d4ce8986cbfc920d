"""The paper's claims on real, different rooms: ../shared/data/scannet-rooms, train = rooms 1-5, val = rooms
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
the 5 val scans, Pointcept's evaluator, no test-time voting), evaluated every 50 steps. rooms_report.py writes the
markdown tables and the curve plots from whatever has finished.

    python tools/studies/rooms.py prepare study search --jobs 2
    python tools/studies/rooms_report.py --output docs/results-rooms.md --figures docs/figures
"""

from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stages", nargs="+", choices=["prepare", "study", "search"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=300, help="fine-tuning optimizer steps of the study")
    parser.add_argument("--search-steps", type=int, default=150, help="fine-tuning steps of the search's variants")
    parser.add_argument("--long-steps", type=int, default=400, help="the search's long fine-tuning runs")
    parser.add_argument("--data-root", default=os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-rooms"))
    parser.add_argument("--exp", default=os.path.join("exp", "rooms-study"))
    parser.add_argument("--jobs", type=int, default=2, help="runs at once, each single-threaded")
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
    study.run_or_list(args.jobs, args.dry_run)


if __name__ == "__main__":
    main()
