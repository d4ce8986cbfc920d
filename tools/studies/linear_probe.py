"""Does pre-training learn something that crosses rooms? Freeze a backbone, fit a linear classifier on the per-point
features of the TRAIN scans, score mIoU / OA on the VAL scans (other rooms in scannet-rooms); the same protocol on a
randomly initialised backbone is the reference. A second measure reads the same features: cross-room class
consistency, the balanced accuracy of nearest-class-centroid classification of val points with centroids from the
train scans (cosine similarity). Both are taken over the classes present in both splits, and printed.

A CSP-trained backbone read one scene at a time meets the batch-dependency shift SPD exists for, so every measure is
reported for two readings: each scan alone (`alone`), and the scans read together in CSP sequences of `--sequence`
scans (`csp`, the state flowing from one scan into the next, as in pre-training).

    python tools/studies/linear_probe.py --checkpoint exp/scannet/rooms-pre/model/model_last.pth \\
        --config configs/scannet/pretrain-pointcsp-v1m1-0-rooms.py --data-root ../shared/data/scannet-rooms
    python tools/studies/linear_probe.py --pretrain --options epoch=200 eval_epoch=20   # scannet-mini: pre-train first
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from pointcept_csp import host
from pointcept_csp.models.pointcsp_v1m1_base import point_features
from pointcept_csp.models.weights import load_backbone
from pointcept_csp.utils.metrics import intersection_and_union, segmentation_scores
from pointcept_csp.utils.run_graph import RunGraph

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CONFIG = "configs/scannet/pretrain-pointcsp-v1m1-0-tiny.py"
SCANNET_MINI = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-mini")
NUM_CLASSES = 20


def load_scans(data_root: str, split: str, grid_size: float, la_file: str | None = None) -> list[dict]:
    """Every scan of a split at `grid_size` voxels (first point of each voxel), colour + normal features as in
    pre-training; with `la_file` (the data-efficient benchmark's limited annotations) only its listed points keep
    their labels, and every one of them is kept."""
    dataset = host.build_dataset(dict(type="ScanNetDataset", split=split, data_root=data_root, la_file=la_file))
    return [voxelised(dataset.get_data(i), grid_size) for i in range(len(dataset))]


def voxelised(data: dict, grid_size: float) -> dict:
    coord = data["coord"] - data["coord"].min(0)
    voxel = np.floor(coord / grid_size).astype(np.int64)
    _, keep = np.unique(voxel, axis=0, return_index=True)
    if "sampled_index" in data:
        keep = np.union1d(keep, np.asarray(data["sampled_index"]))
    feat = np.concatenate([data["color"][keep] / 127.5 - 1, data["normal"][keep]], 1).astype(np.float32)
    return dict(
        coord=torch.from_numpy(coord[keep]),
        grid_coord=torch.from_numpy(voxel[keep]),
        feat=torch.from_numpy(feat),
        offset=torch.tensor([len(keep)]),
        segment=torch.from_numpy(data["segment"][keep].astype(np.int64)),
    )


def pack(scans: list[dict]) -> dict:
    batch = {k: torch.cat([s[k] for s in scans]) for k in ("coord", "grid_coord", "feat")}
    batch["offset"] = torch.cumsum(torch.cat([s["offset"] for s in scans]), 0)
    return batch


@torch.no_grad()
def read_features(backbone, scans: list[dict], sequence: int) -> list[torch.Tensor]:
    """L2-normalised point features of each scan: `sequence=1` reads each scan alone (independent mode); `sequence`
    > 1 reads consecutive groups of that many scans as one CSP sequence (the state flows from scan to scan)."""
    if sequence < 1:
        raise ValueError(f"sequence must be a positive number of scans, got {sequence}")
    backbone.eval()
    feats = []
    for start in range(0, len(scans), sequence):
        group = scans[start : start + sequence]
        out = F.normalize(point_features(backbone(pack(group), cross_sample=sequence > 1)), dim=1)
        feats += list(out.split([int(s["offset"][0]) for s in group]))
    return feats


def shared_classes(train: list[dict], val: list[dict]) -> list[int]:
    """Class ids labelled in both splits."""
    present = [set(torch.cat([s["segment"] for s in split]).unique().tolist()) - {-1} for split in (train, val)]
    return sorted(present[0] & present[1])


def linear_probe(
    train_feats: list[torch.Tensor],
    train_labels: list[torch.Tensor],
    val_feats: list[torch.Tensor],
    val_labels: list[torch.Tensor],
    classes: list[int],
    steps: int = 300,
) -> dict:
    """A linear layer fitted on the train features (full batch, AdamW, every labelled class), scored on the val
    features: mIoU over `classes`, and OA."""
    f_train, y_train = torch.cat(train_feats), torch.cat(train_labels)
    torch.manual_seed(0)
    head = torch.nn.Linear(f_train.shape[1], NUM_CLASSES)
    optimizer = torch.optim.AdamW(head.parameters(), lr=0.05, weight_decay=1e-4)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(head(f_train * 10), y_train, ignore_index=-1).backward()
        optimizer.step()
    with torch.no_grad():
        pred = head(torch.cat(val_feats) * 10).argmax(1)
    scores = segmentation_scores(*intersection_and_union(pred, torch.cat(val_labels), NUM_CLASSES, -1), classes)
    return dict(mIoU=scores["mIoU"], allAcc=scores["allAcc"])


def class_consistency(
    train_feats: list[torch.Tensor],
    train_labels: list[torch.Tensor],
    val_feats: list[torch.Tensor],
    val_labels: list[torch.Tensor],
    classes: list[int],
) -> float:
    """Balanced accuracy over `classes` of the val points' nearest class centroid, centroids from the train scans:
    how well one room's classes sit where another room's same classes do."""
    f, y = torch.cat(train_feats), torch.cat(train_labels)
    classes = [c for c in classes if (y == c).any()]  # sparse labels may miss a class: no centroid for it
    centroids = F.normalize(torch.stack([f[y == c].mean(0) for c in classes]), dim=1)
    f_val, y_val = torch.cat(val_feats), torch.cat(val_labels)
    keep = torch.isin(y_val, torch.tensor(classes))
    pred = torch.tensor(classes)[(f_val[keep] @ centroids.t()).argmax(1)]
    recalls = [(pred[y_val[keep] == c] == c).float().mean().item() for c in classes if (y_val[keep] == c).any()]
    return float(np.mean(recalls))


def measure(backbone, train: list[dict], val: list[dict], classes: list[int], sequence: int) -> dict:
    """Both probes for both readings."""
    results = {}
    for reading, length in (("alone", 1), ("csp", sequence)):
        f_train, f_val = read_features(backbone, train, length), read_features(backbone, val, length)
        y_train, y_val = [s["segment"] for s in train], [s["segment"] for s in val]
        results[reading] = dict(
            linear_probe=linear_probe(f_train, y_train, f_val, y_val, classes),
            class_consistency=class_consistency(f_train, y_train, f_val, y_val, classes),
        )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", help="a pre-training checkpoint to probe")
    parser.add_argument("--config", default=CONFIG, help="the pre-training config (its backbone and grid size)")
    parser.add_argument("--data-root", default=SCANNET_MINI, help="ScanNet layout with train and val splits")
    parser.add_argument("--sequence", type=int, default=4, help="scans per CSP sequence in the csp reading")
    parser.add_argument("--pretrain", action="store_true", help="pre-train with --config first")
    parser.add_argument("--save-path", default="exp/scannet/tiny-pre-probe")
    parser.add_argument("--options", nargs="*", default=[], help="overrides for the pre-training run")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--no-reference", action="store_true", help="skip the randomly initialised reference")
    parser.add_argument("--la-file", help="fit on the train scans' listed points only (tools/data_efficient.py)")
    args = parser.parse_args()
    checkpoint = args.checkpoint
    if args.pretrain:  # a finished pre-training run with the same command is reused
        graph = RunGraph(ROOT, threads=os.environ.get("OMP_NUM_THREADS", "1"))
        command = ["tools/train.py", "--config-file", args.config, "--options", f"save_path={args.save_path}"]
        pretrain = graph.add(args.save_path, command + args.options)
        if graph.execute():
            raise SystemExit(f"pre-training failed; its log: {pretrain.log}")
        checkpoint = os.path.join(args.save_path, "model", "model_last.pth")
    if checkpoint is None:
        raise SystemExit("give --checkpoint or --pretrain")
    cfg = host.load_config(os.path.join(ROOT, args.config))
    grid = cfg.model.backbone.grid_size
    train, val = load_scans(args.data_root, "train", grid), load_scans(args.data_root, "val", grid)
    classes = shared_classes(train, val)  # scored over the classes of the full labels, whatever the probe sees
    if args.la_file:
        train = load_scans(args.data_root, "train", grid, args.la_file)
    results = {}
    for name in ("pre-trained",) if args.no_reference else ("pre-trained", "random init"):
        torch.manual_seed(0)
        backbone = host.build_model(cfg.model.backbone)
        if name == "pre-trained":
            report = load_backbone(backbone, checkpoint, "pretrain")
            if report.missing:
                raise KeyError(f"{checkpoint}: missing backbone keys {report.missing[:5]}")
        results[name] = measure(backbone, train, val, classes, args.sequence)
    summary = dict(
        checkpoint=checkpoint,
        data_root=args.data_root,
        train_scans=len(train),
        val_scans=len(val),
        classes=classes,
        la_file=args.la_file,
        labelled_train_points=int(sum((s["segment"] != -1).sum() for s in train)),
        sequence=args.sequence,
        results=results,
    )
    print(json.dumps(summary, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
