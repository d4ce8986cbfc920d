"""Submanifold 3-D convolution on grid coordinates: native torch (`ops.sparse`), the CPU path and the reference."""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..ops.sparse import submanifold_conv


class SubMConv3d(nn.Module):
    """A k x k x k submanifold convolution: outputs only at input points, each reading its occupied neighbours.

    Weight layout `[k^3, C_in, C_out]`, kernel offsets in `ops.sparse.kernel_offsets` order. The neighbour map is
    computed once per resolution (`ops.sparse.neighbor_map`) and passed in, shared by all convs of a stage.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 3, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        dd = dict(device=device, dtype=dtype)
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(torch.empty(kernel_size**3, in_channels, out_channels, **dd))
        self.bias = nn.Parameter(torch.zeros(out_channels, **dd)) if bias else None
        bound = 1 / math.sqrt(in_channels * kernel_size**3)
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, feat: torch.Tensor, neighbors: torch.Tensor) -> torch.Tensor:
        if neighbors.shape[1] != self.kernel_size**3:
            raise ValueError(f"neighbor map has {neighbors.shape[1]} offsets, this conv needs {self.kernel_size**3}")
        return submanifold_conv(feat, self.weight, neighbors, self.bias)
