"""A small sparse-convolution U-Net built on the native submanifold conv: a second, different backbone that SPD
wraps unchanged (it has no sequence mixer and no cross-sample mode), and a baseline for the ablations."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from .. import host
from ..ops.sparse import SparseGrid
from .hierarchy import input_level
from .pooling import GridPooling, GridUnpooling
from .sparse_conv import SubMConv3d


class ConvBlock(nn.Module):
    """x + GELU(LN(SubMConv(x))), twice."""

    def __init__(self, channels: int, conv_backend: str = "auto") -> None:
        super().__init__()
        self.convs = nn.ModuleList(SubMConv3d(channels, channels, 3, backend=conv_backend) for _ in range(2))
        self.norms = nn.ModuleList(nn.LayerNorm(channels) for _ in range(2))
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor, grid: SparseGrid) -> torch.Tensor:
        for conv, norm in zip(self.convs, self.norms):
            x = x + self.act(norm(conv(x, grid)))
        return x


@host.MODELS.register_module("SpUNet-native-v1m1")
class SparseUNet(nn.Module):
    """Sparse conv U-Net; returns per-point features `[N, dec_channels[0]]` as a tensor (like Pointcept's SpUNet).

    Args:
        in_channels (int). channels (Sequence[int]): width per level. dec_channels (Sequence[int]): decoder widths,
        finest first. stride (int): pooling factor between levels. grid_size (float, Optional): when the batch has
        no `grid_coord`. conv_backend (str): "auto" (spconv on CUDA when installed), "torch" or "spconv".
    """

    def __init__(
        self,
        in_channels: int = 6,
        channels: Sequence[int] = (32, 64, 128),
        dec_channels: Sequence[int] = (32, 64),
        stride: int = 2,
        grid_size: float | None = None,
        conv_backend: str = "auto",
    ) -> None:
        super().__init__()
        if len(dec_channels) != len(channels) - 1:
            raise ValueError(f"dec_channels needs {len(channels) - 1} entries, got {len(dec_channels)}")
        self.in_channels, self.grid_size = in_channels, grid_size
        self.stem = SubMConv3d(in_channels, channels[0], 3, backend=conv_backend)
        self.enc = nn.ModuleList(ConvBlock(c, conv_backend) for c in channels)
        self.down = nn.ModuleList(GridPooling(channels[i], channels[i + 1], stride) for i in range(len(channels) - 1))
        self.up = nn.ModuleList(
            GridUnpooling(channels[-1] if i == len(channels) - 2 else dec_channels[i + 1], channels[i], dec_channels[i])
            for i in reversed(range(len(channels) - 1))
        )
        self.dec = nn.ModuleList(ConvBlock(dec_channels[i], conv_backend) for i in reversed(range(len(channels) - 1)))
        self.out_channels = dec_channels[0]
        self.encoder_modules = ("stem", "enc", "down")  # what SPD's freeze_backbone="encoder" freezes

    def forward(self, data_dict: dict) -> torch.Tensor:
        level, dedup, _ = input_level(data_dict, self.in_channels, self.grid_size)
        level.feat = self.stem(level.feat, level.grid)
        levels = [level]
        for i, block in enumerate(self.enc):
            if i:
                levels.append(levels[-1].pool(self.down[i - 1]))
            levels[-1].feat = block(levels[-1].feat, levels[-1].grid)
        x = levels[-1].feat
        for unpool, block, level in zip(self.up, self.dec, reversed(levels[:-1])):
            x = block(unpool(x, level.feat, level.cluster), level.grid)
        return x.index_select(0, dedup)


@host.MODELS.register_module("SpUNet-native-v1m1-test")
class SparseUNetTest(SparseUNet):
    """Tiny variant for tests."""

    def __init__(self, in_channels: int = 6, **kwargs) -> None:
        super().__init__(in_channels=in_channels, **{**dict(channels=(16, 32), dec_channels=(16,)), **kwargs})
