"""The CPU demo: procedural rooms -> PointCSP pre-training (CSP) -> backbone export -> SPD fine-tuning -> test on the
val rooms -> a report (per-class IoU, mIoU against the majority-class baseline, time per phase, where things are).

Every phase runs through tools/train.py / tools/test.py with the configs in configs/demo/, as real runs do.
    sh tools/demo.sh            # 3-4 minutes on 2 CPU cores
    sh tools/demo.sh --quick    # a one-minute smoke run (used by the tests)
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from pointcept_csp.datasets.synthetic import ROOM_CLASSES, write_rooms
from pointcept_csp.engines.reach_report import format_reach, reach_report
from pointcept_csp.models.reach import headline
from pointcept_csp.utils.metrics import intersection_and_union, segmentation_scores
from pointcept_csp.utils.run_graph import RunGraph

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PRETRAIN_CFG = "configs/demo/pretrain-pointcsp-demo.py"
FINETUNE_CFG = "configs/demo/semseg-pointcsp-spd-demo.py"
SHOWN = ("Train:", "Val result", "Best validation", "Test:", "Loaded weight", "Skipped step")


def progress(line: str) -> str | None:
    """The lines of a run's output the demo shows (its full log stays in the run's folder)."""
    if not any(key in line for key in SHOWN):
        return None
    text = line.split("INFO] ", 1)[-1].rstrip()
    return "   " + (text[:150] + " ..." if len(text) > 150 else text)


def run(graph: RunGraph, path: str, command: list[str]) -> None:
    """One phase: a tool run through the run graph (every phase runs again: the demo times them)."""
    phase = graph.add(path, command, echo=progress)
    if graph.execute():
        raise SystemExit(f"failed: {phase.recorded_command}; full log: {phase.log}")


def majority_baseline(data_root: str) -> tuple[str, float]:
    """mIoU of predicting the most frequent training class everywhere on the val rooms."""

    def labels(split):
        folder = os.path.join(data_root, split)
        return np.concatenate([np.load(os.path.join(folder, s, "segment20.npy")) for s in sorted(os.listdir(folder))])

    train, val = labels("train"), labels("val")
    majority = int(np.bincount(train[train >= 0]).argmax())
    counts = intersection_and_union(np.full_like(val, majority), val, len(ROOM_CLASSES), -1)
    return ROOM_CLASSES[majority], segmentation_scores(*counts)["mIoU"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny data and a few steps: a smoke run")
    parser.add_argument("--exp", default="exp/demo", help="where logs, checkpoints and the report go")
    args = parser.parse_args()
    exp = os.path.join(ROOT, args.exp)
    data_root = os.path.join(exp, "rooms") if args.quick else os.path.join(ROOT, "data", "demo", "rooms")
    pre_dir, ft_dir = os.path.join(exp, "pretrain"), os.path.join(exp, "spd")
    os.makedirs(exp, exist_ok=True)
    graph = RunGraph(ROOT, threads=os.environ.get("OMP_NUM_THREADS", "1"), reuse=False)
    times = {}

    print("[1/5] procedural rooms", flush=True)
    tic = time.perf_counter()
    splits = {
        "train": list(range(1000, 1004 if args.quick else 1024)),
        "val": list(range(2000, 2002 if args.quick else 2006)),
    }
    if not all(os.path.isdir(os.path.join(data_root, s, f"scene{i:04d}_00")) for s, ids in splits.items() for i in ids):
        write_rooms(data_root, "scannet", splits, density=60)
    print(f"   {len(splits['train'])} train / {len(splits['val'])} val rooms in {data_root}")
    times["data"] = time.perf_counter() - tic

    roots = [f"data.{s}.data_root={data_root}" for s in ("train", "val", "test")]
    quick_pre = ["epoch=8", "eval_epoch=8"] if args.quick else []
    quick_ft = ["epoch=8", "eval_epoch=2"] if args.quick else []

    print("[2/5] pre-training with cross-sample propagation (the batch is one sequence)", flush=True)
    tic = time.perf_counter()
    run(
        graph,
        pre_dir,
        ["tools/train.py", "--config-file", PRETRAIN_CFG, "--options", f"save_path={pre_dir}"]
        + [f"data.train.data_root={data_root}", *quick_pre],
    )
    times["pre-training"] = time.perf_counter() - tic

    print("[3/5] exporting the student backbone; how far its state reaches across rooms", flush=True)
    backbone = os.path.join(pre_dir, "model", "backbone.pth")
    run(
        graph,
        os.path.join(pre_dir, "export"),
        ["tools/export_backbone.py", os.path.join(pre_dir, "model", "model_last.pth"), backbone],
    )
    reports = reach_report(os.path.join(ROOT, PRETRAIN_CFG), backbone)
    with open(os.path.join(exp, "reach.json"), "w") as f:
        json.dump(reports, f, indent=1)
    with open(os.path.join(exp, "reach.log"), "w") as f:
        f.write(format_reach(reports) + "\n")
    print("   CSP: " + headline(reports["csp"]), flush=True)

    print("[4/5] SPD fine-tuning (student: one room at a time; EMA teacher: the batch as one sequence)", flush=True)
    tic = time.perf_counter()
    run(
        graph,
        ft_dir,
        ["tools/train.py", "--config-file", FINETUNE_CFG, "--options", f"save_path={ft_dir}", f"weight={backbone}"]
        + [*roots, *quick_ft],
    )
    times["fine-tuning"] = time.perf_counter() - tic

    print("[5/5] testing on the val rooms (every point, fragment voting)", flush=True)
    tic = time.perf_counter()
    run(
        graph,
        os.path.join(ft_dir, "test"),
        ["tools/test.py", "--config-file", os.path.join(ft_dir, "config.py"), "--options", f"save_path={ft_dir}"]
        + [f"weight={os.path.join(ft_dir, 'model', 'model_best.pth')}"],
    )
    times["test"] = time.perf_counter() - tic

    with open(os.path.join(ft_dir, "result", "metrics.json")) as f:
        metrics = json.load(f)
    majority, majority_miou = majority_baseline(data_root)
    report = format_report(metrics, majority, majority_miou, times, pre_dir, ft_dir, exp)
    with open(os.path.join(exp, "report.md"), "w") as f:
        f.write(report + "\n")
    print("\n" + report)


def format_report(metrics, majority, majority_miou, times, pre_dir, ft_dir, exp) -> str:
    inter, union = np.array(metrics["intersection"]), np.array(metrics["union"])
    lines = ["PointCSP CPU demo - val rooms", "", "| class | IoU |", "|---|---|"]
    for name, i, u in zip(metrics["names"], inter, union):
        lines.append(f"| {name} | {100 * i / u:.1f} |" if u else f"| {name} | - (absent) |")
    lines += [
        "",
        f"mIoU {100 * metrics['mIoU']:.1f}   mAcc {100 * metrics['mAcc']:.1f}   OA {100 * metrics['allAcc']:.1f}",
        f"majority-class baseline (always '{majority}'): mIoU {100 * majority_miou:.1f}",
        "",
        "time per phase: " + ", ".join(f"{k} {v:.0f}s" for k, v in times.items()),
        f"pre-training: {pre_dir} (train.log, TensorBoard events, model/model_last.pth, model/backbone.pth)",
        f"fine-tuning:  {ft_dir} (train.log, TensorBoard events, model/model_best.pth, result/*_pred.npy)",
        f"report:       {os.path.join(exp, 'report.md')}   TensorBoard: tensorboard --logdir {exp}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
