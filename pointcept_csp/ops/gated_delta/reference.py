"""Token-by-token gated delta rule: the ground truth for tests. Pure torch, keeps the input dtype (float64 works)."""

from __future__ import annotations

import torch

from ..layout import check_cu_seqlens


def gated_delta_rule_reference(
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
    """S_t = exp(g_t) (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,  o_t = scale * S_t^T q_t;  S_t is `[K, V]`.

    Args:
        q, k: `[1, T, H, K]`; v: `[1, T, H, V]`; g (log decay, <= 0), beta (write strength): `[1, T, H]`.
        scale (float, Optional): Default: `K ** -0.5`.
        initial_state (torch.Tensor, Optional): `[N, H, K, V]`, one per sequence. Default: zeros.
        output_final_state (bool, Optional): also return the final states `[N, H, K, V]`. Default: `False`.
        cu_seqlens (torch.LongTensor, Optional): `[N+1]`, leading 0; the state resets at each sequence start.
            `None` reads the T tokens as one sequence. Default: `None`.
    Returns: o `[1, T, H, V]` and the final states (or `None`).
    """
    T, H, K = k.shape[1:]
    scale = K**-0.5 if scale is None else scale
    bounds = check_cu_seqlens(cu_seqlens, T)
    outs, finals = [], []
    for n, (bos, eos) in enumerate(zip(bounds[:-1], bounds[1:])):
        S = q.new_zeros(H, K, v.shape[-1]) if initial_state is None else initial_state[n]
        for t in range(bos, eos):
            S = S * g[0, t].exp()[:, None, None]
            # delta rule: move the value stored under k_t towards v_t by beta_t
            correction = beta[0, t, :, None] * (v[0, t] - torch.einsum("hk,hkv->hv", k[0, t], S))
            S = S + torch.einsum("hk,hv->hkv", k[0, t], correction)
            outs.append(torch.einsum("hk,hkv->hv", q[0, t] * scale, S))
        finals.append(S)
    return torch.stack(outs).unsqueeze(0), (torch.stack(finals) if output_final_state else None)
