"""Does pre-training learn something on real data? Pre-train (or take) a backbone, freeze it, fit a linear classifier
on the per-point features of the scannet-mini TRAIN scan, and report mIoU on the VAL scan; the same protocol on a
randomly initialised backbone is the reference.

    python tools/studies/linear_probe.py --pretrain --options epoch=200 eval_epoch=20      # pre-train, then probe both
    python tools/studies/linear_probe.py --checkpoint exp/scannet/tiny-pre/model/model_last.pth
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from pointcept_csp import host  # noqa: E402
from pointcept_csp.models.pointcsp_v1m1_base import point_features  # noqa: E402
from pointcept_csp.models.weights import load_backbone  # noqa: E402
from pointcept_csp.utils.metrics import intersection_and_union, segmentation_scores  # noqa: E402

CONFIG = "configs/scannet/pretrain-pointcsp-v1m1-0-tiny.py"
SCANNET_MINI = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-mini")


def scan(split: str, grid_size: float) -> dict:
    """One scan at `grid_size` voxels (first point of each voxel), colour + normal features, as in pre-training."""
    dataset = host.build_dataset(dict(type="ScanNetDataset", split=split, data_root=SCANNET_MINI))
    data = dataset.get_data(0)
    coord = data["coord"] - data["coord"].min(0)
    voxel = np.floor(coord / grid_size).astype(np.int64)
    _, keep = np.unique(voxel, axis=0, return_index=True)
    feat = np.concatenate([data["color"][keep] / 127.5 - 1, data["normal"][keep]], 1).astype(np.float32)
    return dict(
        coord=torch.from_numpy(coord[keep]),
        grid_coord=torch.from_numpy(voxel[keep]),
        feat=torch.from_numpy(feat),
        offset=torch.tensor([len(keep)]),
        segment=torch.from_numpy(data["segment"][keep].astype(np.int64)),
    )


def probe(backbone, train: dict, val: dict, num_classes: int = 20, steps: int = 300) -> dict:
    """Fit a linear layer on frozen train-scan features (full batch, AdamW), score mIoU / OA on the val scan."""
    backbone.eval()
    with torch.no_grad():
        f_train = F.normalize(point_features(backbone(train, cross_sample=False)), dim=1)
        f_val = F.normalize(point_features(backbone(val, cross_sample=False)), dim=1)
    torch.manual_seed(0)
    head = torch.nn.Linear(f_train.shape[1], num_classes)
    optimizer = torch.optim.AdamW(head.parameters(), lr=0.05, weight_decay=1e-4)
    labels = train["segment"]
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(head(f_train * 10), labels, ignore_index=-1).backward()
        optimizer.step()
    with torch.no_grad():
        pred = head(f_val * 10).argmax(1)
    scores = segmentation_scores(*intersection_and_union(pred, val["segment"], num_classes, -1))
    return dict(mIoU=scores["mIoU"], allAcc=scores["allAcc"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", help="a pre-training checkpoint to probe")
    parser.add_argument("--pretrain", action="store_true", help="pre-train with the tiny config first")
    parser.add_argument("--save-path", default="exp/scannet/tiny-pre-probe")
    parser.add_argument("--options", nargs="*", default=[], help="overrides for the pre-training run")
    args = parser.parse_args()
    checkpoint = args.checkpoint
    if args.pretrain:
        subprocess.run(
            [
                sys.executable,
                "tools/train.py",
                "--config-file",
                CONFIG,
                "--options",
                f"save_path={args.save_path}",
                *args.options,
            ],
            cwd=ROOT,
            check=True,
            env=dict(os.environ, PYTHONPATH=ROOT),
        )
        checkpoint = os.path.join(args.save_path, "model", "model_last.pth")
    if checkpoint is None:
        raise SystemExit("give --checkpoint or --pretrain")
    cfg = host.load_config(os.path.join(ROOT, CONFIG))
    grid = cfg.model.backbone.grid_size
    train, val = scan("train", grid), scan("val", grid)
    results = {}
    for name in ("pre-trained", "random init"):
        torch.manual_seed(0)
        backbone = host.build_model(cfg.model.backbone)
        if name == "pre-trained":
            report = load_backbone(backbone, checkpoint, "pretrain")
            if report.missing:
                raise KeyError(f"{checkpoint}: missing backbone keys {report.missing[:5]}")
        results[name] = probe(backbone, train, val)
    print(
        json.dumps(
            dict(
                checkpoint=checkpoint,
                train_points=int(train["offset"][0]),
                val_points=int(val["offset"][0]),
                results=results,
            ),
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
