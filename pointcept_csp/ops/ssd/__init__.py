"""Mamba2's scalar-decay state space scan (SSD, Dao & Gu, arXiv:2405.21060) on packed `[1, T, H, P]` tokens."""

from __future__ import annotations

import torch

from ..backend import Backend, resolve_backend
from ..checks import check_packed, check_same
from .chunk import ssd_chunk
from .reference import ssd_reference

__all__ = ["ssd", "ssd_chunk", "ssd_reference"]


def ssd(
    x: torch.Tensor,
    dt: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    *,
    D: torch.Tensor | None = None,
    initial_state: torch.Tensor | None = None,
    output_final_state: bool = False,
    cu_seqlens: torch.Tensor | None = None,
    backend: Backend = "auto",
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Same arguments and returns as `ssd_reference`; `backend`: `"torch"` (chunked PyTorch), `"fla"`
    (chunk_simple_gla, CUDA), `"mamba"` (mamba-ssm, CUDA), `"auto"` (a CUDA kernel when installed, else torch)."""
    check_packed("x", x, 4)
    T, H, _ = x.shape[1:]
    check_same("dt", dt, (1, T, H))
    check_same("A", A, (H,))
    check_packed("B", B, 4, T)
    check_same("C", C, B.shape)
    if H % B.shape[2] != 0:
        raise ValueError(f"the head count H={H} must be divisible by the group count G={B.shape[2]}")
    opts = dict(D=D, initial_state=initial_state, output_final_state=output_final_state, cu_seqlens=cu_seqlens)
    chosen = resolve_backend(backend, x, ("torch", "mamba", "fla"), "ssd")
    if chosen == "torch":
        return ssd_chunk(x, dt, A, B, C, **opts)
    from .gpu import ssd_fla, ssd_mamba

    return (ssd_fla if chosen == "fla" else ssd_mamba)(x, dt, A, B, C, **opts)
