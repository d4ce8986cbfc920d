"""Heads: the DINO projection / prototype head of pre-training, per-stage geometry decoders, and task heads."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import trunc_normal_


class DINOHead(nn.Module):
    """MLP -> L2-normalised embedding -> prototype logits (Caron et al., arXiv:2104.14294).

    The prototypes are a weight-normalised linear layer without bias (unit-norm columns), so logits are cosine
    similarities between the embedding and K learnable prototypes.
    """

    def __init__(
        self, in_channels: int, hidden_channels: int = 256, embed_channels: int = 64, num_prototypes: int = 256
    ) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hidden_channels),
            nn.GELU(),
            nn.Linear(hidden_channels, hidden_channels),
            nn.GELU(),
            nn.Linear(hidden_channels, embed_channels),
        )
        self.prototypes = nn.Parameter(torch.empty(num_prototypes, embed_channels))
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.prototypes, std=1.0)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        """`[N, C]` -> prototype logits `[N, K]`."""
        embed = F.normalize(self.mlp(feat), dim=-1)
        return embed @ F.normalize(self.prototypes, dim=-1).t()


class GeometryDecoder(nn.Module):
    """D_phi^(l): a lightweight MLP decoding stage-l features back to 3-D coordinates (multi-layer L_geo)."""

    def __init__(self, in_channels: int, hidden_channels: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_channels, hidden_channels), nn.GELU(), nn.Linear(hidden_channels, 3))

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        return self.net(feat)
