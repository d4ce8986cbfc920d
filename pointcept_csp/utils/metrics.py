"""Segmentation and classification metrics from confusion counts (numpy, any device upstream)."""

from __future__ import annotations

import numpy as np
import torch


def intersection_and_union(
    pred: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray, num_classes: int, ignore_index: int = -1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class intersection, union and target counts `[num_classes]`; targets equal to `ignore_index` are skipped."""
    pred = torch.as_tensor(pred).reshape(-1).long().cpu()
    target = torch.as_tensor(target).reshape(-1).long().cpu()
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same number of points, got {pred.numel()} and {target.numel()}"
        )
    valid = target != ignore_index
    pred, target = pred[valid], target[valid]
    if target.numel() and (target.min() < 0 or target.max() >= num_classes):
        raise ValueError(
            f"target labels must lie in [0, {num_classes}) or equal ignore_index={ignore_index}, "
            f"got range [{int(target.min())}, {int(target.max())}]"
        )
    area_target = torch.bincount(target, minlength=num_classes)
    area_pred = torch.bincount(pred.clamp(0, num_classes - 1), minlength=num_classes)
    area_inter = torch.bincount(target[pred == target], minlength=num_classes)
    area_union = area_pred + area_target - area_inter
    return area_inter.numpy(), area_union.numpy(), area_target.numpy()


def segmentation_scores(
    intersection: np.ndarray, union: np.ndarray, target: np.ndarray, classes: list[int] | None = None
) -> dict:
    """mIoU / mAcc over classes present in the targets or predictions (union > 0), or over `classes` when given (a
    config's `data.eval_classes`: e.g. the classes present in both the train and the val split), and overall
    accuracy over every point."""
    intersection, union, target = (np.asarray(x, dtype=np.float64) for x in (intersection, union, target))
    iou = intersection / np.maximum(union, 1)
    acc = intersection / np.maximum(target, 1)
    present = union > 0
    counted = target > 0
    if classes is not None:
        bad = [c for c in classes if not 0 <= c < len(union)]
        if bad or not classes:
            raise ValueError(f"eval_classes must be class ids in [0, {len(union)}), got {list(classes)}")
        present = counted = np.isin(np.arange(len(union)), classes)
    return dict(
        mIoU=float(iou[present].mean()) if present.any() else 0.0,
        mAcc=float(acc[counted].mean()) if counted.any() else 0.0,
        allAcc=float(intersection.sum() / max(target.sum(), 1)),
        iou_class=iou,
        acc_class=acc,
        present=present,
    )
