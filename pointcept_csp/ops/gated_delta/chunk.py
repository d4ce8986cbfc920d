"""Gated delta rule, chunk-parallel pure PyTorch (CPU and GPU): exact, O(T) time and memory."""

from __future__ import annotations

import torch

from ..chunked_recurrence import CHUNK_SIZE, chunk_recurrence


def gated_delta_rule_chunk(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    beta: torch.Tensor,
    *,
    scale: float | None = None,
    initial_state: torch.Tensor | None = None,
    output_final_state: bool = False,
    cu_seqlens: torch.Tensor | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Same arguments and returns as `gated_delta_rule_reference`."""
    scale = k.shape[-1] ** -0.5 if scale is None else scale
    return chunk_recurrence(
        q,
        k,
        v,
        g,
        beta,
        scale=scale,
        initial_state=initial_state,
        output_final_state=output_final_state,
        cu_seqlens=cu_seqlens,
        chunk_size=chunk_size,
    )
