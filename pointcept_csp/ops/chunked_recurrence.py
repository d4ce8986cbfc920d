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

Everything but S_0 is computed for all chunks at once, including each chunk's state update as one affine map
S_C = M S_0 + B (M = e^{G_C} I - K_decay^T W, B = K_decay^T U~); the only sequential part is the state pass over
chunks, S_0 of chunk c+1 = M_c S_0 of chunk c + B_c, one fused update per chunk in forward and in backward
(`_StatePass`). Chunks never straddle a sequence start (see `layout.ChunkLayout`); the state is reset (to zero or the
sequence's initial state) when a chunk starts a sequence. Chunks are processed in blocks so the working set stays in
cache. CHUNK_SIZE 32 beat 64 for a CPU training step once the state pass was fused (docs/benchmarks.md,
tools/bench/profile_step.py).
"""

from __future__ import annotations

import torch

from .layout import check_cu_seqlens, chunk_layout, from_chunks, to_chunks

CHUNK_SIZE = 32
BLOCK_CHUNKS = 256  # 8k tokens per block


def _prepare_block(q, k, v, g, beta, scale):
    """Everything that does not depend on the incoming state, for a block of chunks `[n, H, C, ...]`: the chunk's
    output terms, and its state update as one affine map S_out = M S_in + B."""
    C = g.shape[-1]
    G = g.cumsum(-1)
    incl = torch.ones(C, C, dtype=torch.bool, device=g.device).tril()
    gamma = torch.exp((G[..., :, None] - G[..., None, :]).masked_fill(~incl, float("-inf")))  # [n, H, C, C]
    k_decay = k * (G[..., -1:] - G).exp()[..., None]  # [n, H, C, K], decay to the chunk end
    chunk_decay = G[..., -1].exp()[..., None, None]  # [n, H, 1, 1]
    u, w = v, None
    if beta is not None:
        # A = beta_t e^{G_t - G_j} k_t.k_j; the solve reads only its strict lower triangle (unit diagonal implied)
        strict = ((beta[..., None] * k) @ k.transpose(-1, -2)) * gamma
        rhs = torch.cat([beta[..., None] * v, (beta * G.exp())[..., None] * k], dim=-1)
        solved = torch.linalg.solve_triangular(strict, rhs, upper=False, unitriangular=True)
        u, w = solved.split([v.shape[-1], k.shape[-1]], dim=-1)
    k_decay_t = k_decay.transpose(-1, -2)
    # S_out = e^{G_C} S_in + K_decay^T (U~ - W S_in): M = e^{G_C} I - K_decay^T W (delta rule) or e^{G_C} (gated)
    if w is None:
        transition = chunk_decay
    else:
        eye = torch.eye(k.shape[-1], dtype=q.dtype, device=q.device)
        transition = chunk_decay * eye - k_decay_t @ w  # [n, H, K, K]
    return dict(
        qk=((q * scale) @ k.transpose(-1, -2)) * gamma,  # [n, H, C, C], zero above the diagonal
        q_decay=q * (G.exp() * scale)[..., None],  # [n, H, C, K]
        u=u,
        w=w,
        transition=transition,
        write=k_decay_t @ u,  # [n, H, K, V]
    )


def _advance(transition: torch.Tensor, state: torch.Tensor, write: torch.Tensor) -> torch.Tensor:
    """Chunk state updates S_out = M S_in + B, M a matrix `[..., K, K]` or a per-head scalar `[..., 1, 1]`."""
    return (transition @ state if transition.shape[-1] == state.shape[-2] else transition * state) + write


class _StatePass(torch.autograd.Function):
    """The sequential part of the recurrence over a block of n chunks: S_in[0] = `first`, and
    S_in[c+1] = M_c S_in[c] + B_c, except where chunk c+1 starts a sequence (`entry_chunks`): there it is that
    sequence's entry state (`entries`, one row per such chunk). Returns S_in `[n, H, K, V]`.

    Forward and backward are each one fused update per chunk (baddbmm / addcmul into preallocated rows), so autograd
    records one node per block instead of several per chunk. Backward runs the adjoint recurrence
    dS_in[c] = dL/dS_in[c] + M_c^T dS_in[c+1] (cut at sequence starts); the gradients of M and B then follow for all
    chunks at once."""

    @staticmethod
    def forward(ctx, transition, write, first, entries, entry_chunks):
        states = write.new_empty(write.shape)
        states[0] = first
        entry_row = {c: i for i, c in enumerate(entry_chunks)}
        matrix = transition.shape[-1] == write.shape[-2]
        for c in range(len(states) - 1):
            if c + 1 in entry_row:
                states[c + 1] = entries[entry_row[c + 1]]
            elif matrix:
                torch.baddbmm(write[c], transition[c], states[c], out=states[c + 1])
            else:
                torch.addcmul(write[c], transition[c], states[c], out=states[c + 1])
        ctx.save_for_backward(transition, states)
        ctx.entry_chunks, ctx.matrix = entry_chunks, matrix
        return states

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_states):
        transition, states = ctx.saved_tensors
        entry_chunks, n = set(ctx.entry_chunks), len(states)
        grad_in = torch.empty_like(grad_states)  # total gradient of each S_in
        grad_in[n - 1] = grad_states[n - 1]
        for c in range(n - 2, -1, -1):
            if c + 1 in entry_chunks:
                grad_in[c] = grad_states[c]
            elif ctx.matrix:
                torch.baddbmm(grad_states[c], transition[c].transpose(-1, -2), grad_in[c + 1], out=grad_in[c])
            else:
                torch.addcmul(grad_states[c], transition[c], grad_in[c + 1], out=grad_in[c])
        # gradient of each chunk's S_out = M S_in + B: S_in of the next chunk, unless that one restarts; the last
        # chunk's S_out is not an output of this function
        grad_out = torch.cat([grad_in[1:], torch.zeros_like(grad_in[:1])])
        if entry_chunks:
            grad_out[[c - 1 for c in ctx.entry_chunks]] = 0
        if ctx.matrix:
            grad_transition = grad_out @ states.transpose(-1, -2)
        else:
            grad_transition = (grad_out * states).sum((-2, -1), keepdim=True)
        grad_entries = grad_in[list(ctx.entry_chunks)] if ctx.entry_chunks else None
        return grad_transition, grad_out, grad_in[0], grad_entries, None


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
        x = to_chunks(x.squeeze(0).to(compute), layout)  # squeeze, not x[0]: its backward is a view, not a copy
        return (x.movedim(2, 1) if x.dim() == 4 else x.transpose(1, 2)).contiguous()  # bmm operands, copied once

    qc, kc, vc, gc = chunks(q), chunks(k), chunks(v), chunks(g)
    bc = chunks(beta) if beta is not None else None
    if initial_state is not None and initial_state.shape != (num_seqs, H, K, V):
        raise ValueError(f"initial_state must be [N={num_seqs}, H={H}, K={K}, V={V}], got {tuple(initial_state.shape)}")

    def entry_state(c):  # the state a chunk that starts a sequence begins from
        return initial_state[layout.seq_of_chunk[c]].to(compute) if initial_state is not None else zero

    zero = qc.new_zeros(H, K, V)
    # blocks as one split per operand: its backward is one concatenation, where slicing each block would cost a
    # zero-filled full-size gradient per block and operand
    starts = range(0, layout.num_chunks, block_chunks)
    operands = (x.split(block_chunks) if x is not None else [None] * len(starts) for x in (qc, kc, vc, gc, bc))
    carry, outputs, finals = None, [], []
    for start, qb, kb, vb, gb, bb in zip(starts, *operands):
        stop = start + qb.shape[0]
        p = _prepare_block(qb, kb, vb, gb, bb, scale)
        entry_chunks = tuple(c - start for c in range(start + 1, stop) if layout.starts_seq[c])
        entries = torch.stack([entry_state(start + c) for c in entry_chunks]) if entry_chunks else None
        first = entry_state(start) if layout.starts_seq[start] else carry
        s_in = _StatePass.apply(p["transition"], p["write"], first, entries, entry_chunks)  # [n, H, K, V]
        u = p["u"] - p["w"] @ s_in if p["w"] is not None else p["u"]
        outputs.append(p["q_decay"] @ s_in + p["qk"] @ u)  # [n, H, C, V]
        ends = [c - start for c in range(start, stop) if layout.ends_seq[c]]
        if output_final_state and ends:
            finals.append(_advance(p["transition"][ends], s_in[ends], p["write"][ends]))
        if stop < layout.num_chunks and not layout.starts_seq[stop]:
            carry = _advance(p["transition"][-1], s_in[-1], p["write"][-1])
    o = from_chunks(torch.cat(outputs).transpose(1, 2), layout).to(dtype).unsqueeze(0)
    final = torch.cat(finals).to(dtype) if output_final_state else None
    return o, final
