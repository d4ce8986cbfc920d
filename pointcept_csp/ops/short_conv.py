"""Causal depthwise 1-D convolution over packed tokens that never reads across a sequence start."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .layout import check_cu_seqlens

_ACTIVATIONS = {None: lambda x: x, "silu": F.silu, "swish": F.silu}


def _activation(name: str | None):
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(_ACTIVATIONS)}, got {name!r}")
    return _ACTIVATIONS[name]


class _CausalDepthwise(torch.autograd.Function):
    """y_t = sum_{lag<W} w[:, W-1-lag] * x_{t-lag} over rows `x [T, D]`, zeros before t = 0: W shifted multiply-adds in
    the tokens' own row-major layout, reading x where it lies (a column slice of the fused projections). `F.conv1d`
    needs channels-first copies in and out, and its transposed result made every later elementwise op and reduction
    over a head's channels stride through memory (slower for conv + SiLU + L2 norm, forward and backward:
    docs/benchmarks.md, tools/bench/bench_cpu_paths.py)."""

    @staticmethod
    def forward(ctx, x, weight):
        T, width = x.shape[0], weight.shape[1]
        ctx.weight_dtype = weight.dtype
        weight = weight.to(x.dtype)  # as conv1d under autocast: the conv runs in the activations' dtype
        y = x * weight[:, width - 1]
        for lag in range(1, min(width, T)):
            y[lag:].addcmul_(x[: T - lag], weight[:, width - 1 - lag])
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        T, width = x.shape[0], weight.shape[1]
        # dL/dx_s = sum_lag w[:, W-1-lag] * grad_{s+lag};  dL/dw[:, W-1-lag] = sum_t x_{t-lag} * grad_t
        grad_x = grad * weight[:, width - 1]
        grad_weight = weight.new_zeros(width, weight.shape[0])
        grad_weight[width - 1] = (x * grad).sum(0)
        for lag in range(1, min(width, T)):
            grad_x[: T - lag].addcmul_(grad[lag:], weight[:, width - 1 - lag])
            grad_weight[width - 1 - lag] = (x[: T - lag] * grad[lag:]).sum(0)
        return grad_x, grad_weight.t().to(ctx.weight_dtype)


def short_conv(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    cu_seqlens: torch.Tensor | None = None,
    activation: str | None = "silu",
) -> torch.Tensor:
    """y_t = act(sum_{i<W} weight[:, i] * x_{t-W+1+i} + bias), with x_s = 0 before the sequence start of t.

    Args:
        x: `[1, T, D]`; weight: `[D, W]`; bias: `[D]`.
        cu_seqlens (torch.LongTensor, Optional): `[N+1]`; taps that would cross a sequence start read zeros.
            `None`: one sequence. Default: `None`.
        activation (str, Optional): `"silu"` or `None`. Default: `"silu"`.
    Returns: `[1, T, D]`.
    """
    if x.dim() != 3 or x.shape[0] != 1:
        raise ValueError(f"x must be packed as [1, T, D], got {tuple(x.shape)}")
    act = _activation(activation)
    T, Dim = x.shape[1:]
    width = weight.shape[-1]
    if weight.shape != (Dim, width):
        raise ValueError(f"weight must be [D={Dim}, W], got {tuple(weight.shape)}")
    bounds = check_cu_seqlens(cu_seqlens, T)
    # one causal depthwise conv over all tokens as a single sequence ...
    y = _CausalDepthwise.apply(x.squeeze(0), weight)
    if bias is not None:
        y = y + bias
    if len(bounds) > 2 and width > 1:
        # ... then the first width-1 tokens of every later sequence, whose taps crossed its start, computed again
        rows = torch.tensor(
            [t for start, end in zip(bounds[1:-1], bounds[2:]) for t in range(start, min(start + width - 1, end))],
            device=x.device,
        )
        starts = torch.tensor(bounds[:-1], device=x.device)
        pos = rows - starts[torch.searchsorted(starts, rows, right=True) - 1]  # index within its sequence
        lags = torch.arange(width, device=x.device)
        taps = (rows[:, None] - lags).clamp(min=0)  # [R, W]: token t - lag
        inside = (lags <= pos[:, None]).to(x.dtype)[..., None]
        exact = (x[0][taps] * inside * weight.flip(1).t()).sum(1)  # weight[:, W-1-lag] multiplies x_{t-lag}
        y = y.index_put((rows,), exact + bias if bias is not None else exact)
    return act(y).unsqueeze(0)


def short_conv_reference(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    cu_seqlens: torch.Tensor | None = None,
    activation: str | None = "silu",
) -> torch.Tensor:
    """Token loop of `short_conv`, the ground truth for tests."""
    act = _activation(activation)
    T, Dim = x.shape[1:]
    width = weight.shape[-1]
    bounds = check_cu_seqlens(cu_seqlens, T)
    rows = []
    for bos, eos in zip(bounds[:-1], bounds[1:]):
        for t in range(bos, eos):
            acc = bias.clone() if bias is not None else x.new_zeros(Dim)
            for i in range(width):
                s = t - width + 1 + i
                if s >= bos:
                    acc = acc + weight[:, i] * x[0, s]
            rows.append(acc)
    return act(torch.stack(rows)).unsqueeze(0)
