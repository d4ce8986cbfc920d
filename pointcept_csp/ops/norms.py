"""The L2 normalisation of the Gated DeltaNet mixer's q and k with a hand-written backward, a tile of tokens at a time.

Written with autograd it is 4 passes over full-size `[T, H, K]` tensors in forward and about as many in backward, each
leaving a full-size temporary; at 64k tokens those no longer fit in cache, and these per-head element-wise passes grew
fastest with the batch in a training step. Here the backward's temporaries are one tile (`TILE_TOKENS`) each, which
is faster than the autograd formula from 8k to 64k tokens (docs/benchmarks.md, tools/bench/bench_cpu_paths.py).
The same treatment of the output's RMSNorm(o) * SiLU(gate) was no faster inside the mixer, so it stays plain.
`l2_normalize_reference` is the autograd formula, the ground truth of the tests.
"""

from __future__ import annotations

import torch

TILE_TOKENS = 4096


def _tiles(total: int):
    return ((a, min(a + TILE_TOKENS, total)) for a in range(0, total, TILE_TOKENS))


def l2_normalize_reference(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    return x * torch.rsqrt((x * x).sum(-1, keepdim=True).clamp_min(eps * eps))


class _L2Normalize(torch.autograd.Function):
    """y = x r, r = 1 / max(||x||, eps); dx = r (g - y <g, y>) (dx = r g where the norm is clamped)."""

    @staticmethod
    def forward(ctx, x, eps):
        norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True)  # one pass, no full-size temporary
        clamped = norm < eps
        inv = norm.clamp_min_(eps).reciprocal_()
        y = x * inv
        ctx.save_for_backward(y, inv, clamped)
        return y

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        y, inv, clamped = ctx.saved_tensors
        dx = torch.empty_like(y)
        for a, b in _tiles(y.shape[1]):
            g, yt = grad[:, a:b], y[:, a:b]
            along = (g * yt).sum(-1, keepdim=True).masked_fill_(clamped[:, a:b], 0)
            torch.addcmul(g, yt, along, value=-1, out=dx[:, a:b]).mul_(inv[:, a:b])
        return dx, None


def l2_normalize(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """x / max(||x||, eps) over the last dim of `x [1, T, ..., K]` (backward tiled over T)."""
    if x.dim() < 3 or x.shape[0] != 1:
        raise ValueError(f"x must be packed as [1, T, ..., K], got {tuple(x.shape)}")
    return _L2Normalize.apply(x, eps)
