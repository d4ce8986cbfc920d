"""Shape checks shared by the op entry points (errors state expected vs got)."""

from __future__ import annotations

import torch


def check_packed(name: str, x: torch.Tensor, dims: int, total: int | None = None) -> None:
    if x.dim() != dims or x.shape[0] != 1:
        raise ValueError(f"{name} must be packed as [1, T, ...] with {dims} dims, got shape {tuple(x.shape)}")
    if total is not None and x.shape[1] != total:
        raise ValueError(f"{name} must have T={total} tokens, got {x.shape[1]}")


def check_same(name: str, x: torch.Tensor, expected: tuple[int, ...]) -> None:
    if tuple(x.shape) != tuple(expected):
        raise ValueError(f"{name} must have shape {tuple(expected)}, got {tuple(x.shape)}")
