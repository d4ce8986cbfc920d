"""Pointcept's `criteria` protocol on the standalone host: each listed loss is built from LOSSES by its `type`, and
the criteria's value is their sum. An nn.Module, so that a loss's buffers (class weights) follow the model's device."""

from __future__ import annotations

import copy

import torch
import torch.nn as nn

from .builder import LOSSES


class Criteria(nn.Module):
    def __init__(self, cfgs: list[dict]) -> None:
        super().__init__()
        self.criteria = nn.ModuleList(LOSSES.build(copy.deepcopy(cfg)) for cfg in cfgs)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return sum(criterion(pred, target) for criterion in self.criteria)


def build_criteria(cfgs: list[dict]) -> Criteria:
    return Criteria(cfgs)
