"""Pointcept's loss convention: a segmentor or classifier config may list its task losses as
`criteria=[dict(type="CrossEntropyLoss", loss_weight=1.0, ignore_index=-1), dict(type="LovaszLoss", mode="multiclass",
loss_weight=1.0, ignore_index=-1)]`, built by the host's `build_criteria` and summed.

Under Pointcept these names are Pointcept's own losses (any of its LOSSES registry works). The standalone host has no
loss registry of its own making: this module registers the two losses the paper's configs use under Pointcept's names
and arguments there, and an argument it does not implement raises instead of being ignored.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import host
from .losses import lovasz_softmax


class CrossEntropyLoss(nn.Module):
    """loss_weight * cross-entropy (torch's, with Pointcept's arguments; `weight`: per-class weights)."""

    def __init__(
        self,
        weight: list[float] | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
        loss_weight: float = 1.0,
        ignore_index: int = -1,
    ) -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            raise ValueError("CrossEntropyLoss: size_average / reduce are deprecated in torch; give reduction instead")
        self.register_buffer(
            "weight", None if weight is None else torch.tensor(weight, dtype=torch.float32), persistent=False
        )  # not in checkpoints: Pointcept's own CrossEntropyLoss keeps none
        self.reduction, self.label_smoothing = reduction, label_smoothing
        self.loss_weight, self.ignore_index = loss_weight, ignore_index

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        weight = None if self.weight is None else self.weight.to(pred)
        loss = F.cross_entropy(
            pred,
            target,
            weight=weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )
        return loss * self.loss_weight


class LovaszLoss(nn.Module):
    """loss_weight * Lovasz-softmax over the classes present in the batch (Pointcept's multiclass mode, whole batch)."""

    def __init__(
        self,
        mode: str,
        class_seen=None,
        per_image: bool = False,
        ignore_index: int | None = None,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if mode != "multiclass":
            raise ValueError(f"LovaszLoss: the standalone host implements mode='multiclass', got {mode!r}")
        if class_seen is not None or per_image:
            raise ValueError(
                "LovaszLoss: the standalone host implements the whole-batch loss over present classes "
                f"(class_seen=None, per_image=False), got class_seen={class_seen!r}, per_image={per_image!r}"
            )
        self.ignore_index, self.loss_weight = ignore_index, loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return lovasz_softmax(pred, target, self.ignore_index) * self.loss_weight


if host.NAME == "standalone":  # under Pointcept its own losses answer to these names
    host.LOSSES.register_module("CrossEntropyLoss")(CrossEntropyLoss)
    host.LOSSES.register_module("LovaszLoss")(LovaszLoss)


def build_criteria(cfgs: list[dict]):
    """The summed task losses of a `criteria` list, built by the host; an empty or non-list value raises."""
    if not isinstance(cfgs, (list, tuple)) or not cfgs or not all(isinstance(c, dict) and "type" in c for c in cfgs):
        raise ValueError(f"criteria must be a non-empty list of loss configs with a `type`, got {cfgs!r}")
    return host.build_criteria(list(cfgs))
