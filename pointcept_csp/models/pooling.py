"""Grid pooling and unpooling between backbone stages (PTv3-style, native torch scatter ops)."""

from __future__ import annotations

import torch
import torch.nn as nn

from ..ops.sparse import grid_pool, segment_mean
from .serialization import batch_to_offset


class GridPooling(nn.Module):
    """Project to `out_channels`, then max-pool points into grid cells of `stride` units within each sample.

    Returns the pooled level as a dict (feat, coord = mean of the children, grid_coord, batch, offset) and
    `cluster [N]`, the parent of every child, which `GridUnpooling` uses to come back.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 2) -> None:
        super().__init__()
        self.stride = stride
        self.proj = nn.Linear(in_channels, out_channels)
        self.norm, self.act = nn.LayerNorm(out_channels), nn.GELU()

    def forward(
        self, feat: torch.Tensor, coord: torch.Tensor, grid_coord: torch.Tensor, batch: torch.Tensor, num_samples: int
    ) -> tuple[dict, torch.Tensor]:
        cluster, grid, parent_batch = grid_pool(grid_coord, batch, self.stride)
        num = grid.shape[0]
        feat = self.proj(feat)
        index = cluster[:, None].expand_as(feat)
        pooled = feat.new_full((num, feat.shape[1]), float("-inf")).scatter_reduce(0, index, feat, reduce="amax")
        parent_coord = segment_mean(coord, cluster, num)
        parent = dict(
            feat=self.act(self.norm(pooled)),
            coord=parent_coord,
            grid_coord=grid,
            batch=parent_batch,
            offset=batch_to_offset(parent_batch, num_samples),
        )
        return parent, cluster


class GridUnpooling(nn.Module):
    """child_feat = proj(parent_feat)[cluster] + proj_skip(skip_feat): the decoder's way back up a level."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(in_channels, out_channels), nn.LayerNorm(out_channels), nn.GELU())
        self.proj_skip = nn.Sequential(nn.Linear(skip_channels, out_channels), nn.LayerNorm(out_channels), nn.GELU())

    def forward(self, parent_feat: torch.Tensor, skip_feat: torch.Tensor, cluster: torch.Tensor) -> torch.Tensor:
        return self.proj(parent_feat).index_select(0, cluster) + self.proj_skip(skip_feat)
