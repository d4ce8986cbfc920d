"""The data-efficient study: CSP pre-training, SPD and random init when labels are few, on real rooms
(../shared/data/scannet-rooms, train = rooms 1-5, val = rooms 6-8), in the protocol of ScanNet's data-efficient
benchmark (pointcept_csp/utils/data_efficient.py). Pre-training always sees all 10 train scans without labels (the
pre-trainings are rooms.py's, cached under the same names); fine-tuning sees few labels:

  la<N>  N labelled points per train scan (tools/data_efficient.py --points, drawn per seed)
  lr<K>  every label of the train scans of K whole rooms (--rooms, drawn per seed)
  all    every label of the 10 train scans (rooms.py's ablation setting)

Each regime fine-tunes five rows per seed (--steps optimizer steps of 4 scans, an evaluation every 50): random init,
no-CSP and CSP pre-training with plain fine-tuning, and SPD fine-tuning on both pre-trainings; `peer` adds the
sparse-conv U-Net from scratch (SpUNet-native-v1m1, plain). A row is scored by the val mIoU of its last checkpoint
over the 10 classes both splits share. Runs are cached by name under --exp, --jobs at a time (rooms.Study).

    python tools/studies/efficient.py core --jobs 2            # la20 and lr1 (the tables the issue asks for)
    python tools/studies/efficient.py probes                   # the linear probe fitted on the la20 labels
    python tools/studies/efficient.py more --jobs 2            # la200, lr3, the U-Net peer at la20
    python tools/studies/efficient.py all --jobs 2             # every label, the five rows and the U-Net peer
    python tools/studies/efficient_report.py --output docs/results-efficient.md --figures docs/figures
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from pointcept_csp.utils.data_efficient import draw_scenes  # noqa: E402
from tools.data_efficient import scene_folders  # noqa: E402
from tools.studies import rooms  # noqa: E402

LA_CONFIG = "configs/scannet/semseg-pointcsp-v1m1-0-rooms-la20.py"
LR_CONFIG = "configs/scannet/semseg-pointcsp-v1m1-0-rooms-lr1.py"
POINTS, ROOMS = (20, 200), (1, 3)
# (row, pre-training, SPD): the pre-trained rows against random init, CSP against no CSP, SPD against plain
ROWS = (
    ("scratch-plain", None, False),
    ("nocsp-plain", "nocsp", False),
    ("csp-plain", "csp", False),
    ("nocsp-spd", "nocsp", True),
    ("csp-spd", "csp", True),
)
EFFECTS = (
    ("CSP pre-training vs random init (plain)", "csp-plain", "scratch-plain"),
    ("no-CSP pre-training vs random init (plain)", "nocsp-plain", "scratch-plain"),
    ("CSP vs no CSP (plain)", "csp-plain", "nocsp-plain"),
    ("CSP vs no CSP (SPD)", "csp-spd", "nocsp-spd"),
    ("SPD vs plain (CSP pre-training)", "csp-spd", "csp-plain"),
    ("SPD vs plain (no-CSP pre-training)", "nocsp-spd", "nocsp-plain"),
    ("full (CSP + SPD) vs random init", "csp-spd", "scratch-plain"),
)
PEER = "spunet-plain"  # the sparse-conv U-Net from scratch, plain fine-tuning


def evaluation_interval(steps: int, scans: int, batch: int = 4) -> int:
    """The first divisor of `steps` from rooms.EVAL_EVERY up whose trainer epochs hold whole batches of the `scans`
    train scans (50 for 10 or 2 scans, 60 for 6), so that every regime runs exactly `steps` optimizer steps."""
    for every in range(rooms.EVAL_EVERY, steps + 1):
        if steps % every == 0 and every * batch % scans == 0:
            return every
    raise ValueError(f"no evaluation interval of at least {rooms.EVAL_EVERY} splits {steps} steps of {scans} scans")


def train_scans(data_root: str, regime: str, seed: int) -> int:
    """Labelled train scans of a regime: every scan, or for lr<K> the scans of the K rooms that the seed's draw keeps
    (the draw tools/data_efficient.py makes, to size the schedule before its file exists)."""
    if not regime.startswith("lr"):
        return rooms.TRAIN_SCANS
    drawn = draw_scenes(scene_folders(data_root, "train"), np.random.default_rng(seed), rooms=int(regime[2:]))
    return len(drawn)


class EfficientStudy(rooms.Study):
    def tasks(self, seed: int) -> rooms.Run:
        """The seed's task files: `points/points{20,200}` and `scenes/rooms{1,3}.txt` under `tasks-s{seed}`."""
        out = os.path.join(self.args.exp, f"tasks-s{seed}")
        command = ["tools/data_efficient.py", "--data-root", self.args.data_root, "--out", out, "--seed", str(seed)]
        command += ["--points", *map(str, POINTS), "--rooms", *map(str, ROOMS), "--overwrite"]
        return self.add(f"tasks-s{seed}", command)

    def regime(self, regime: str, seed: int, peer: bool = False) -> None:
        """The five rows of one regime and seed (and the U-Net peer)."""
        tasks = self.tasks(seed)
        config, options, scans = self.regime_data(regime, seed, tasks)
        every = evaluation_interval(self.args.steps, scans)
        for row, pre_name, spd in ROWS:
            pre = None
            if pre_name is not None:
                pre = self.pretrain(pre_name, seed, ["model.cross_sample=False"] if pre_name == "nocsp" else [])
            run = self.finetune(
                f"{regime}-{row}",
                seed,
                pre,
                self.args.steps,
                config=config,
                options=options + self.spd(spd),
                every=every,
                scans=scans,
            )
            run.needs.append(tasks)
        if peer:
            run = self.finetune(
                f"{regime}-{PEER}",
                seed,
                None,
                self.args.steps,
                config=rooms.SPUNET,
                options=options + self.spd(False),
                every=every,
                scans=scans,
            )
            run.needs.append(tasks)

    def regime_data(self, regime: str, seed: int, tasks: rooms.Run) -> tuple[str, list[str], int]:
        """(config, dataset options, train scans) of a regime."""
        scans = train_scans(self.args.data_root, regime, seed)
        if regime == "all":
            return rooms.FINETUNE, [], scans
        kind, count = regime[:2], int(regime[2:])
        if kind == "la" and count in POINTS:
            return LA_CONFIG, [f"data.train.la_file={os.path.join(tasks.path, 'points', f'points{count}')}"], scans
        if kind == "lr" and count in ROOMS:
            return LR_CONFIG, [f"data.train.lr_file={os.path.join(tasks.path, 'scenes', f'rooms{count}.txt')}"], scans
        raise ValueError(f"regime must be all, la{POINTS} or lr{ROOMS} as la<N> / lr<K>, got {regime!r}")

    def core(self, seeds: list[int]) -> None:
        for seed in seeds:  # seed by seed, so that a stopped study leaves whole seeds of both regimes
            for regime in ("la20", "lr1"):
                self.regime(regime, seed)

    def probes(self, seeds: list[int]) -> None:
        """The cross-room linear probe of both pre-trainings (random init beside the CSP one) fitted on the la20
        labels of the seed's draw, scored on every val point."""
        for seed in seeds:
            tasks = self.tasks(seed)
            for pre_name in ("csp", "nocsp"):
                pre = self.pretrain(pre_name, seed, ["model.cross_sample=False"] if pre_name == "nocsp" else [])
                name = f"probe-la{POINTS[0]}-{pre_name}-s{seed}.json"
                command = [
                    "tools/studies/linear_probe.py",
                    "--checkpoint",
                    os.path.join(pre.path, "model", "model_last.pth"),
                ]
                command += ["--config", os.path.join(pre.path, "config.py"), "--data-root", self.args.data_root]
                command += ["--la-file", os.path.join(tasks.path, "points", f"points{POINTS[0]}")]
                command += ["--json", os.path.join(self.args.exp, name)] + (
                    [] if pre_name == "csp" else ["--no-reference"]
                )
                self.add(name, command, [pre, tasks])

    def more(self, seeds: list[int]) -> None:
        """LA 200 and LR 3 rooms, seed by seed, then the U-Net peer at LA 20."""
        for seed in seeds:
            for regime in ("la200", "lr3"):
                self.regime(regime, seed)
        for seed in seeds:
            self.regime("la20", seed, peer=True)

    def all(self, seeds: list[int]) -> None:
        """Every label: the commands of rooms.py's ablation, so these rows repeat its runs here."""
        for seed in seeds:
            self.regime("all", seed, peer=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stages", nargs="+", choices=["core", "probes", "more", "all"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=300, help="fine-tuning optimizer steps")
    parser.add_argument("--data-root", default=os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-rooms"))
    parser.add_argument("--exp", default=os.path.join("exp", "efficient-study"))
    parser.add_argument("--jobs", type=int, default=2, help="runs at once, each single-threaded")
    parser.add_argument("--dry-run", action="store_true", help="list the runs and their state, run nothing")
    args = parser.parse_args()
    study = EfficientStudy(args)
    for stage in args.stages:
        getattr(study, stage)(args.seeds)
    study.run_or_list(args.jobs, args.dry_run)


if __name__ == "__main__":
    main()
