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
    starts = torch.as_tensor(bounds[:-1], device=x.device)
    lengths = torch.as_tensor([b - a for a, b in zip(bounds[:-1], bounds[1:])], device=x.device)
    pos = torch.arange(T, device=x.device) - torch.repeat_interleave(starts, lengths)  # index within its sequence
    y = bias.expand(T, Dim) if bias is not None else x.new_zeros(T, Dim)
    for lag in range(width):
        # x_{t-lag}, zero where t-lag lies before the start of t's sequence
        shifted = F.pad(x[0], (0, 0, lag, 0))[:T]
        if lag:
            shifted = shifted * (pos >= lag).to(x.dtype)[:, None]
        y = y + shifted * weight[:, width - 1 - lag]
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
