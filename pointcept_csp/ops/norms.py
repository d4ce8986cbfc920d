"""The per-head normalisations of the Gated DeltaNet mixer with hand-written backward, computed a tile of tokens at a
time: the L2 normalisation of q and k, and the gated RMS norm of the output, RMSNorm(o) * w * SiLU(gate).

Written with autograd, each is 4-8 passes over full-size `[T, H, K]` tensors in forward and as many in backward, each
pass leaving a full-size temporary. At 64k tokens those no longer fit in cache, and these element-wise passes were the
part of a training step that grew fastest with the batch (11-27x for 8x the tokens, tools/bench/profile_step.py).
Here every temporary is one tile (`TILE_TOKENS`), and backward recomputes the cheap terms instead of keeping them.
`*_reference` are the autograd formulas, the ground truth of the tests.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

TILE_TOKENS = 4096


def _tiles(total: int):
    return ((a, min(a + TILE_TOKENS, total)) for a in range(0, total, TILE_TOKENS))


def l2_normalize_reference(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    return x * torch.rsqrt((x * x).sum(-1, keepdim=True).clamp_min(eps * eps))


class _L2Normalize(torch.autograd.Function):
    """y = x r, r = 1 / max(||x||, eps); dx = r (g - y <g, y>) (dx = r g where the norm is clamped)."""

    @staticmethod
    def forward(ctx, x, eps):
        y = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True)
        clamped = norm < eps
        inv = norm.clamp_min_(eps).reciprocal_()
        for a, b in _tiles(x.shape[1]):
            torch.mul(x[:, a:b], inv[:, a:b], out=y[:, a:b])
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
    """x / max(||x||, eps) over the last dim of `x [1, T, ..., K]`, tiled over T."""
    if x.dim() < 3 or x.shape[0] != 1:
        raise ValueError(f"x must be packed as [1, T, ..., K], got {tuple(x.shape)}")
    return _L2Normalize.apply(x, eps)


def gated_rms_norm_reference(x: torch.Tensor, gate: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight * F.silu(gate)


class _GatedRMSNorm(torch.autograd.Function):
    """y = n w s with n = x r, r = (mean(x^2) + eps)^(-1/2), s = SiLU(gate). Backward recomputes n and s per tile:
    dn = g w s, dx = r (dn - n mean(dn n)), dgate = g n w sigma(gate) (1 + gate (1 - sigma(gate))), dw = sum g n s."""

    @staticmethod
    def forward(ctx, x, gate, weight, eps):
        ctx.weight_dtype = weight.dtype
        weight = weight.to(x.dtype)
        inv = torch.rsqrt(torch.linalg.vector_norm(x, dim=-1, keepdim=True).pow_(2).div_(x.shape[-1]).add_(eps))
        y = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        for a, b in _tiles(x.shape[1]):
            out = torch.mul(x[:, a:b], inv[:, a:b], out=y[:, a:b])
            out.mul_(weight).mul_(F.silu(gate[:, a:b]))
        ctx.save_for_backward(x, gate, weight, inv)
        return y

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        x, gate, weight, inv = ctx.saved_tensors
        dx, dgate = torch.empty_like(x), torch.empty_like(gate)
        dweight = torch.zeros_like(weight)
        dims = tuple(range(x.dim() - 1))
        for a, b in _tiles(x.shape[1]):
            g, z, r = grad[:, a:b], gate[:, a:b], inv[:, a:b]
            n = x[:, a:b] * r
            sig = torch.sigmoid(z)
            s = z * sig
            gn = g * n
            dweight += (gn * s).sum(dims)
            # dgate = g n w sigma (1 + z (1 - sigma))
            torch.mul(gn, weight, out=dgate[:, a:b]).mul_(sig).mul_(z.mul(1 - sig).add_(1))
            dn = (g * weight).mul_(s)
            along = (dn * n).mean(-1, keepdim=True)
            torch.addcmul(dn, n, along, value=-1, out=dx[:, a:b]).mul_(r)
        return dx, dgate, dweight.to(ctx.weight_dtype), None


def gated_rms_norm(x: torch.Tensor, gate: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """RMSNorm(x) * weight * SiLU(gate) over the last dim of `x, gate [1, T, ..., V]`, `weight [V]`, tiled over T."""
    if x.dim() < 3 or x.shape[0] != 1 or gate.shape != x.shape or weight.shape != x.shape[-1:]:
        raise ValueError(
            f"x and gate must both be packed as [1, T, ..., V] and weight [V]; got x {tuple(x.shape)}, "
            f"gate {tuple(gate.shape)}, weight {tuple(weight.shape)}"
        )
    return _GatedRMSNorm.apply(x, gate, weight, eps)
