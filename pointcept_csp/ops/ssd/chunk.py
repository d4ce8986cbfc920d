"""Mamba2 scan as a chunk-parallel gated linear recurrence in pure PyTorch (CPU and GPU): exact, O(T).

With S = h^T `[N, P]` the scan is S_t = a_t S_{t-1} + B_t (dt_t x_t)^T, y_t = S_t^T C_t: queries C, keys B,
values dt x, log-decay g = dt A, scale 1; see `ops.chunked_recurrence`.
"""

from __future__ import annotations

import torch

from ..chunked_recurrence import CHUNK_SIZE, chunk_recurrence


def ssd_chunk(
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
    chunk_size: int = CHUNK_SIZE,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Same arguments and returns as `ssd_reference`."""
    heads_per_group = x.shape[2] // B.shape[2]
    keys = B.repeat_interleave(heads_per_group, dim=2)
    queries = C.repeat_interleave(heads_per_group, dim=2)
    init = initial_state.transpose(-1, -2) if initial_state is not None else None
    y, final = chunk_recurrence(
        queries,
        keys,
        x * dt[..., None],
        dt * A,
        None,
        scale=1.0,
        initial_state=init,
        output_final_state=output_final_state,
        cu_seqlens=cu_seqlens,
        chunk_size=chunk_size,
    )
    if D is not None:
        y = y + x * (D[:, None] if D.dim() == 1 else D)
    return y, (final.transpose(-1, -2) if final is not None else None)
