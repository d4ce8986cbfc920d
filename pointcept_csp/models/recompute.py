"""Trading compute for memory in a training step: functions whose intermediates are run again in backward instead of
being kept (activation checkpointing, `torch.utils.checkpoint`, non-reentrant)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.checkpoint import checkpoint


def in_chunks(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, chunk: int, recompute: bool) -> torch.Tensor:
    """`fn(x)` for a row-wise `fn`, computed `chunk` rows at a time. With `recompute` (and gradients flowing) each
    chunk keeps only its input rows for backward; without, chunking only bounds the transient memory (no-grad)."""
    if chunk < 1:
        raise ValueError(f"chunk must be a positive number of rows, got {chunk}")
    store_less = recompute and torch.is_grad_enabled() and x.requires_grad
    parts = [checkpoint(fn, part, use_reentrant=False) if store_less else fn(part) for part in x.split(chunk)]
    return torch.cat(parts) if len(parts) > 1 else parts[0]


def maybe_recompute(fn: Callable[..., torch.Tensor], *args, recompute: bool) -> torch.Tensor:
    """`fn(*args)`, keeping only `args` for backward when `recompute` is set and gradients flow."""
    if recompute and torch.is_grad_enabled():
        return checkpoint(fn, *args, use_reentrant=False)
    return fn(*args)
