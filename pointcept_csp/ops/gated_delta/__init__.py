"""Gated delta rule (Gated DeltaNet, Yang et al., arXiv:2412.06464) on packed `[1, T, H, D]` tokens."""

from __future__ import annotations

import torch

from ..backend import Backend, resolve_backend
from ..checks import check_packed, check_same
from .chunk import gated_delta_rule_chunk
from .reference import gated_delta_rule_reference

__all__ = ["gated_delta_rule", "gated_delta_rule_chunk", "gated_delta_rule_reference"]


def gated_delta_rule(
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
    backend: Backend = "auto",
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Same arguments and returns as `gated_delta_rule_reference`; `backend` picks the implementation:
    `"torch"` (chunked PyTorch), `"fla"` (flash-linear-attention, CUDA), `"auto"` (fla on CUDA when installed)."""
    check_packed("q", q, 4)
    T, H, K = q.shape[1:]
    check_same("k", k, q.shape)
    check_packed("v", v, 4, T)
    check_same("g", g, (1, T, H))
    check_same("beta", beta, (1, T, H))
    opts = dict(scale=scale, initial_state=initial_state, output_final_state=output_final_state, cu_seqlens=cu_seqlens)
    if resolve_backend(backend, q, ("torch", "fla"), "gated_delta_rule") == "fla":
        from .fla import gated_delta_rule_fla

        return gated_delta_rule_fla(q, k, v, g, beta, **opts)
    return gated_delta_rule_chunk(q, k, v, g, beta, **opts)
