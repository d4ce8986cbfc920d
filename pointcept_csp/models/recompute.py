"""Trading compute for memory in a training step: functions whose intermediates are run again in backward instead of
being kept (activation checkpointing, `torch.utils.checkpoint`, non-reentrant). The one place the backbone (mixers,
blocks, pooling) and the pre-training losses decide it."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.checkpoint import checkpoint


def maybe_recompute(fn: Callable[..., torch.Tensor], *args, recompute: bool):
    """`fn(*args)`, keeping only `args` for backward when `recompute` is set and gradients flow."""
    if recompute and torch.is_grad_enabled():
        return checkpoint(fn, *args, use_reentrant=False)
    return fn(*args)


def in_chunks(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, chunk: int) -> torch.Tensor:
    """`fn(x)` for a row-wise `fn`, `chunk` rows at a time: bounds the transient memory of a wide `fn` (no-grad use)."""
    if chunk < 1:
        raise ValueError(f"chunk must be a positive number of rows, got {chunk}")
    parts = [fn(part) for part in x.split(chunk)]
    return torch.cat(parts) if len(parts) > 1 else parts[0]
