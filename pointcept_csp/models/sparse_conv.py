"""Submanifold 3-D convolution on grid coordinates: native torch (`ops.sparse`, the CPU path and the reference) or
spconv's SubMConv3d on CUDA (`ops.sparse_spconv`), same weights, same product."""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..ops.sparse import SparseGrid, submanifold_conv
from ..ops.sparse_spconv import CONV_BACKENDS, resolve_conv_backend, submanifold_conv_spconv


class SubMConv3d(nn.Module):
    """A k x k x k submanifold convolution: outputs only at input points, each reading its occupied neighbours.

    Weight layout `[k^3, C_in, C_out]`, kernel offsets in `ops.sparse.kernel_offsets` order, whatever the backend, so
    checkpoints move freely between CPU and GPU. The neighbour structures live in the `SparseGrid` of the resolution,
    built once and shared by all convs of a stage.

    Args:
        backend (str): "auto" (spconv for CUDA tensors when installed, else native torch), "torch" or "spconv".
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        bias: bool = True,
        backend: str = "auto",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if backend not in CONV_BACKENDS:
            raise ValueError(f"conv backend must be one of {CONV_BACKENDS}, got {backend!r}")
        dd = dict(device=device, dtype=dtype)
        self.kernel_size, self.backend = kernel_size, backend
        self.weight = nn.Parameter(torch.empty(kernel_size**3, in_channels, out_channels, **dd))
        self.bias = nn.Parameter(torch.zeros(out_channels, **dd)) if bias else None
        bound = 1 / math.sqrt(in_channels * kernel_size**3)
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, feat: torch.Tensor, grid: SparseGrid) -> torch.Tensor:
        if resolve_conv_backend(self.backend, feat) == "spconv":
            return submanifold_conv_spconv(feat, self.weight, grid.spconv_base(feat), self.bias)
        return submanifold_conv(feat, self.weight, grid.offset_pairs(self.kernel_size), self.bias)
