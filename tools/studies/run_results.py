"""Reading finished study runs (pointcept_csp.utils.run_graph): a fine-tuning run's val curve from its log, a
probe's result file, a row's last-checkpoint mIoU per seed, paired per-seed differences, and mean ± std as the
tables print it. Shared by the studies' reports (rooms_report.py, efficient_report.py)."""

from __future__ import annotations

import json
import os
import re

import numpy as np

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
