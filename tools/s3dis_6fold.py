"""S3DIS 6-fold cross-validation: train and test the six folds (configs/s3dis/pointcsp-area{1..6}.py) and pool
intersection and union over ALL areas before dividing (the standard 6-fold protocol), into one table.

    python tools/s3dis_6fold.py --weight exp/scannet/pre/model/model_last.pth        # train + test + table
    python tools/s3dis_6fold.py --collect-only                                         # table from finished folds

Each fold runs in exp/s3dis/6fold-area<k>/, through pointcept_csp.utils.run_graph: a finished fold is not trained
again when the driver is started again with the same options (and is refused, by name, under other options).
Per-fold counts come from the tester's result/metrics.json, or, for testers that only save `<name>_pred.npy`
(Pointcept's), from those predictions and the rooms' segment.npy.
"""

from __future__ import annotations

import argparse
import glob
import json
import os

import numpy as np

from pointcept_csp.utils.metrics import intersection_and_union, segmentation_scores
from pointcept_csp.utils.run_graph import RunGraph

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

AREAS = range(1, 7)


def pool(folds: list[dict]) -> dict:
    """Sum per-class intersection / union / target over folds, then IoU = sum(I) / sum(U) per class."""
    inter = np.sum([f["intersection"] for f in folds], axis=0)
    union = np.sum([f["union"] for f in folds], axis=0)
    target = np.sum([f["target"] for f in folds], axis=0)
    return segmentation_scores(inter, union, target)


def fold_counts(save_path: str, data_root: str, area: int, num_classes: int, ignore_index: int = -1) -> dict:
    metrics_file = os.path.join(save_path, "result", "metrics.json")
    if os.path.isfile(metrics_file):
        with open(metrics_file) as f:
            return json.load(f)
    preds = sorted(glob.glob(os.path.join(save_path, "result", f"Area_{area}-*_pred.npy")))
    if not preds:
        raise FileNotFoundError(f"fold {area}: neither {metrics_file} nor predictions in {save_path}/result")
    totals = np.zeros((3, num_classes), dtype=np.int64)
    for pred_file in preds:
        room = os.path.basename(pred_file)[len(f"Area_{area}-") : -len("_pred.npy")]
        gt = np.load(os.path.join(data_root, f"Area_{area}", room, "segment.npy")).reshape(-1)
        totals += np.stack(intersection_and_union(np.load(pred_file), gt, num_classes, ignore_index))
    return dict(intersection=totals[0].tolist(), union=totals[1].tolist(), target=totals[2].tolist())


def table(scores: dict, names: list[str], per_fold: dict[int, dict]) -> str:
    lines = ["| fold | mIoU | mAcc | OA |", "|---|---|---|---|"]
    for area, s in per_fold.items():
        lines.append(f"| Area {area} | {100 * s['mIoU']:.1f} | {100 * s['mAcc']:.1f} | {100 * s['allAcc']:.1f} |")
    lines.append(
        f"| **6-fold (pooled)** | **{100 * scores['mIoU']:.1f}** | {100 * scores['mAcc']:.1f} | "
        f"{100 * scores['allAcc']:.1f} |"
    )
    lines += ["", "| class | IoU |", "|---|---|"]
    lines += [f"| {n} | {100 * v:.1f} |" for n, v in zip(names, scores["iou_class"])]
    return "\n".join(lines)


def show(line: str) -> str:
    return line.rstrip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-prefix", default="configs/s3dis/pointcsp-area")
    parser.add_argument("--weight", help="pre-trained checkpoint for every fold")
    parser.add_argument("--exp", default="exp/s3dis/6fold")
    parser.add_argument("--data-root", default="data/s3dis")
    parser.add_argument("--collect-only", action="store_true")
    parser.add_argument("--options", nargs="*", default=[], help="extra key=value overrides for every fold")
    parser.add_argument("--output", default=None, help="markdown table path (default: <exp>/6fold.md)")
    args = parser.parse_args()

    from pointcept_csp import host

    base_cfg = host.load_config(f"{args.config_prefix}1.py")
    names, num_classes = list(base_cfg.data.names), base_cfg.data.num_classes
    graph = RunGraph(ROOT, threads=os.environ.get("OMP_NUM_THREADS", "1"))
    for area in AREAS:
        save = f"{args.exp}-area{area}"
        roots = [f"data.{split}.data_root={args.data_root}" for split in ("train", "val", "test")]
        weight = [f"weight={args.weight}"] if args.weight else []
        train = ["tools/train.py", "--config-file", f"{args.config_prefix}{area}.py", "--options", f"save_path={save}"]
        trained = graph.add(save, train + roots + args.options + weight, echo=show)
        test = ["tools/test.py", "--config-file", os.path.join(save, "config.py"), "--options", f"save_path={save}"]
        graph.add(
            os.path.join(save, "test"),
            test + [f"weight={os.path.join(save, 'model', 'model_best.pth')}"],
            [trained],
            echo=show,
        )
    if not args.collect_only and graph.execute():
        raise SystemExit("some folds failed (their logs are named above); the table needs all six")
    per_fold_counts, per_fold = [], {}
    for area in AREAS:
        counts = fold_counts(os.path.join(ROOT, f"{args.exp}-area{area}"), args.data_root, area, num_classes)
        per_fold_counts.append(counts)
        per_fold[area] = pool([counts])
    report = table(pool(per_fold_counts), names, per_fold)
    output = args.output or os.path.join(ROOT, f"{args.exp}.md")
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w") as f:
        f.write(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
