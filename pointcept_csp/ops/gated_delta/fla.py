"""Adapter to flash-linear-attention's Triton `chunk_gated_delta_rule` (GPU only; imported when called)."""

from __future__ import annotations

import torch

from ..backend import kernel_dtype


def gated_delta_rule_fla(
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
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Same arguments and returns as `gated_delta_rule_reference`; fla uses the identical packed layout. q, k, v and
    beta go in one dtype (`ops.backend.kernel_dtype`), the log decay g in float32."""
    from fla.ops.gated_delta_rule import chunk_gated_delta_rule

    dtype = kernel_dtype(q, k, v, beta)
    # contiguous: the mixer passes column slices of its fused projections
    q, k, v, beta = (x.to(dtype).contiguous() for x in (q, k, v, beta))
    o, final = chunk_gated_delta_rule(
        q,
        k,
        v,
        g.float(),
        beta,
        scale=scale,
        initial_state=initial_state,
        output_final_state=output_final_state,
        cu_seqlens=None if cu_seqlens is None else cu_seqlens.long(),
    )
    return o, (final if output_final_state else None)
