"""Multi-layer geometric consistency L_geo = sum_l alpha_l L_geo^(l): features of several encoder stages decoded
back to 3-D coordinates, normalised per view (centre = mean, scale = max radius of the view's points)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from ..ops.sparse import segment_mean
from .heads import GeometryDecoder
from .losses import geometry_loss


class GeometryConsistency(nn.Module):
    """Holds one decoder D_phi^(l) per chosen stage; `forward(backbone_output)` -> L_geo.

    Args:
        stage_channels (Sequence[int]): width of every encoder stage. stages (Sequence[int], Optional): stages
            with a decoder (default all). alphas (Sequence[float], Optional): alpha_l (default 1).
        samples (int): K_s^(l), points sampled per stage and step.
    """

    def __init__(
        self,
        stage_channels: Sequence[int],
        stages: Sequence[int] | None = None,
        alphas: Sequence[float] | None = None,
        samples: int = 256,
    ) -> None:
        super().__init__()
        self.stages = list(range(len(stage_channels))) if stages is None else list(stages)
        self.alphas = [1.0] * len(self.stages) if alphas is None else list(alphas)
        if len(self.alphas) != len(self.stages):
            raise ValueError(f"geo alphas need one weight per geo stage ({len(self.stages)}), got {len(self.alphas)}")
        bad = [s for s in self.stages if not 0 <= s < len(stage_channels)]
        if bad:
            raise ValueError(f"geo stages {bad} do not exist; the backbone has {len(stage_channels)} encoder stages")
        self.samples = samples
        self.decoders = nn.ModuleList(GeometryDecoder(stage_channels[s]) for s in self.stages)

    def forward(self, out) -> torch.Tensor:
        level0 = out["stages"][0]
        num_views = int(level0["batch"].max()) + 1
        center = segment_mean(level0["coord"], level0["batch"], num_views)
        radius = (level0["coord"] - center[level0["batch"]]).norm(dim=1)
        scale = radius.new_zeros(num_views).scatter_reduce(0, level0["batch"], radius, reduce="amax").clamp_min(1e-6)
        total = 0.0
        for decoder, s, alpha in zip(self.decoders, self.stages, self.alphas):
            stage = out["stages"][s]
            pick = torch.randperm(stage["feat"].shape[0], device=stage["feat"].device)[: self.samples]
            view = stage["batch"][pick]
            target = (stage["coord"][pick] - center[view]) / scale[view, None]
            total = total + alpha * geometry_loss(decoder(stage["feat"][pick]), target)
        return total
