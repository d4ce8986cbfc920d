"""Token-by-token Mamba2 scan (SSD with scalar decay per head): the ground truth for tests. Keeps the input dtype."""

from __future__ import annotations

import torch

from ..layout import check_cu_seqlens


def ssd_reference(
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
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """h_t = exp(dt_t A) h_{t-1} + dt_t x_t B_t^T, y_t = h_t C_t + D x_t; h_t is `[H, P, N]` (arXiv:2405.21060).

    Args:
        x: `[1, T, H, P]`; dt: `[1, T, H]` (after softplus, > 0); A: `[H]` (< 0); B, C: `[1, T, G, N]`, head h
            reads group h // (H / G).
        D (torch.Tensor, Optional): skip connection, `[H]` or `[H, P]`. Default: none.
        initial_state (torch.Tensor, Optional): `[N_seq, H, P, N]`. Default: zeros.
        output_final_state (bool, Optional): also return the final states `[N_seq, H, P, N]`. Default: `False`.
        cu_seqlens (torch.LongTensor, Optional): `[N_seq+1]`, leading 0; the state resets at each sequence start.
            `None` reads the T tokens as one sequence. Default: `None`.
    Returns: y `[1, T, H, P]` and the final states (or `None`).
    """
    T, H, P = x.shape[1:]
    heads_per_group = H // B.shape[2]
    Bh = B[0].repeat_interleave(heads_per_group, dim=1)  # [T, H, N]
    Ch = C[0].repeat_interleave(heads_per_group, dim=1)
    bounds = check_cu_seqlens(cu_seqlens, T)
    outs, finals = [], []
    for n, (bos, eos) in enumerate(zip(bounds[:-1], bounds[1:])):
        h = x.new_zeros(H, P, B.shape[-1]) if initial_state is None else initial_state[n]
        for t in range(bos, eos):
            decay = torch.exp(dt[0, t] * A)[:, None, None]
            h = decay * h + torch.einsum("h,hp,hn->hpn", dt[0, t], x[0, t], Bh[t])
            outs.append(torch.einsum("hpn,hn->hp", h, Ch[t]))
        finals.append(h)
    y = torch.stack(outs).unsqueeze(0)
    if D is not None:
        y = y + x * (D[:, None] if D.dim() == 1 else D)
    return y, (torch.stack(finals) if output_final_state else None)
