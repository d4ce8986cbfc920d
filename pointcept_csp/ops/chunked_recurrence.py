"""Chunk-parallel pure-PyTorch form of the scalar-decay linear recurrences behind Gated DeltaNet and Mamba2 (SSD).

One state `S [H, K, V]` per head evolves as

    delta rule (beta given):  S_t = a_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T
    gated linear (beta None): S_t = a_t S_{t-1} + k_t v_t^T
    output:                   o_t = scale * S_t^T q_t,          a_t = exp(g_t), g_t <= 0

Within a chunk of C tokens with local cumulative log-decay G_t, writing the state as
S_t = e^{G_t} S_0 + sum_{j<=t} e^{G_t - G_j} k_j u_j^T, the delta-rule writes u_t solve the unit lower-triangular
system (I + A) U = diag(beta) V - diag(beta e^G) K S_0 with A_tj = beta_t e^{G_t - G_j} k_t.k_j (j < t), so
U = U~ - W S_0 with U~, W from one triangular solve (the WY form of Yang et al., arXiv:2406.06484 / 2412.06464);
for the gated linear case U = V. Then O = scale (diag(e^G) Q S_0 + (Q K^T o Gamma) U) and
S_C = e^{G_C} S_0 + (diag(e^{G_C - G}) K)^T U. Only differences G_t - G_j <= 0 are ever exponentiated.

Chunks never straddle a sequence start (see `layout.ChunkLayout`); the state is reset (to zero or the sequence's
initial state) when a chunk starts a sequence. Chunks are processed in blocks so the working set stays in cache.
"""

from __future__ import annotations

import torch

from .layout import check_cu_seqlens, chunk_layout, from_chunks, to_chunks

CHUNK_SIZE = 64
BLOCK_CHUNKS = 256  # 16k tokens per block


def _prepare_block(q, k, v, g, beta, scale):
    """Everything that does not depend on the incoming state, for a block of chunks `[n, H, C, ...]`."""
    C = g.shape[-1]
    G = g.cumsum(-1)
    incl = torch.ones(C, C, dtype=torch.bool, device=g.device).tril()
    gamma = torch.exp((G[..., :, None] - G[..., None, :]).masked_fill(~incl, float("-inf")))  # [n, H, C, C]
    u, w = v, None
    if beta is not None:
        strict = gamma * (k @ k.transpose(-1, -2)) * beta[..., :, None]
        system = torch.eye(C, dtype=q.dtype, device=q.device) + strict.tril(-1)
        rhs = torch.cat([beta[..., None] * v, (beta * G.exp())[..., None] * k], dim=-1)
        solved = torch.linalg.solve_triangular(system, rhs, upper=False, unitriangular=True)
        u, w = solved.split([v.shape[-1], k.shape[-1]], dim=-1)
    return dict(
        qk=(q @ k.transpose(-1, -2)) * gamma * scale,  # [n, H, C, C]
        q_decay=q * (G.exp() * scale)[..., None],  # [n, H, C, K]
        k_decay=k * (G[..., -1:] - G).exp()[..., None],  # [n, H, C, K], decay to the chunk end
        chunk_decay=G[..., -1].exp()[..., None, None],  # [n, H, 1, 1]
        u=u,
        w=w,
    )


def chunk_recurrence(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    beta: torch.Tensor | None,
    *,
    scale: float,
    initial_state: torch.Tensor | None = None,
    output_final_state: bool = False,
    cu_seqlens: torch.Tensor | None = None,
    chunk_size: int = CHUNK_SIZE,
    block_chunks: int = BLOCK_CHUNKS,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """q, k `[1, T, H, K]`, v `[1, T, H, V]`, g (and beta) `[1, T, H]` -> o `[1, T, H, V]`, states `[N, H, K, V]`."""
    T, H, K = k.shape[1:]
    V = v.shape[-1]
    bounds = check_cu_seqlens(cu_seqlens, T)
    num_seqs = len(bounds) - 1
    dtype = q.dtype
    # half precision inputs are computed in float32 (the triangular solve and decays need the range)
    compute = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    layout = chunk_layout(bounds, chunk_size, q.device)

    def chunks(x):  # [1, T, H, ...] -> [NC, H, C, ...]
        x = to_chunks(x[0].to(compute), layout)
        return x.movedim(2, 1) if x.dim() == 4 else x.transpose(1, 2)

    qc, kc, vc, gc = chunks(q), chunks(k), chunks(v), chunks(g)
    bc = chunks(beta) if beta is not None else None
    if initial_state is not None and initial_state.shape != (num_seqs, H, K, V):
        raise ValueError(f"initial_state must be [N={num_seqs}, H={H}, K={K}, V={V}], got {tuple(initial_state.shape)}")
    zero = qc.new_zeros(H, K, V)
    state, outputs, finals = zero, [], []
    for start in range(0, layout.num_chunks, block_chunks):
        sl = slice(start, min(start + block_chunks, layout.num_chunks))
        p = _prepare_block(qc[sl], kc[sl], vc[sl], gc[sl], bc[sl] if bc is not None else None, scale)
        states_in, writes = [], []
        # the sequential part: one small update per chunk; tensors are unbound once (indexing inside the loop
        # makes backward quadratic)
        w_list = p["w"].unbind(0) if p["w"] is not None else None
        for i, (u, k_decay, decay) in enumerate(
            zip(p["u"].unbind(0), p["k_decay"].unbind(0), p["chunk_decay"].unbind(0))
        ):
            c = start + i
            if layout.starts_seq[c]:
                s = layout.seq_of_chunk[c]
                state = initial_state[s].to(compute) if initial_state is not None else zero
            if w_list is not None:
                u = u - w_list[i] @ state
            states_in.append(state)
            writes.append(u)
            state = decay * state + k_decay.transpose(-1, -2) @ u
            if layout.ends_seq[c]:
                finals.append(state)
        s_in, u_all = torch.stack(states_in), torch.stack(writes)
        outputs.append(p["q_decay"] @ s_in + p["qk"] @ u_all)  # [n, H, C, V]
    o = from_chunks(torch.cat(outputs).transpose(1, 2), layout).to(dtype).unsqueeze(0)
    final = torch.stack(finals).to(dtype) if output_final_state else None
    return o, final
