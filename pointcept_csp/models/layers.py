"""Small building blocks written for this package (no timm): per-sample DropPath, RMSNorm, MLP, init helpers."""

from __future__ import annotations

import math

import torch
import torch.nn as nn


def trunc_normal_(tensor: torch.Tensor, std: float = 0.02) -> torch.Tensor:
    """Normal(0, std) truncated to [-2 std, 2 std], in place."""
    return nn.init.trunc_normal_(tensor, mean=0.0, std=std, a=-2 * std, b=2 * std)


def init_linear(module: nn.Module) -> None:
    """Transformer-style init used across the backbone: trunc-normal weights, zero biases, unit norms."""
    if isinstance(module, nn.Linear):
        trunc_normal_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.LayerNorm, RMSNorm)) and module.weight is not None:
        nn.init.ones_(module.weight)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)


class DropPath(nn.Module):
    """Stochastic depth that drops whole samples (not single points): a residual branch is zeroed for a random subset
    of the packed batch's samples and rescaled by 1 / keep_prob for the others (Huang et al., arXiv:1603.09382)."""

    def __init__(self, drop_prob: float = 0.0) -> None:
        super().__init__()
        if not 0.0 <= drop_prob < 1.0:
            raise ValueError(f"drop_prob must lie in [0, 1), got {drop_prob}")
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
        """x `[N, C]`, batch `[N]` sample index of each point."""
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep = 1.0 - self.drop_prob
        num_samples = int(batch.max()) + 1
        mask = torch.rand(num_samples, device=x.device, dtype=x.dtype).add_(keep).floor_() / keep
        return x * mask[batch][:, None]

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}"


class LayerScale(nn.Module):
    """x * gamma with a learnable per-channel gamma initialised to `init` (Touvron et al., arXiv:2103.17239)."""

    def __init__(self, channels: int, init: float, device=None, dtype=None) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((channels,), float(init), device=device, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class RMSNorm(nn.Module):
    """x / rms(x) * weight over the last dimension (Zhang & Sennrich, arXiv:1910.07467). The rms is taken in float32:
    under half-precision autocast its backward, (mean x^2 + eps)^(-3/2), overflowed fp16 to inf."""

    def __init__(self, dim: int, eps: float = 1e-6, device=None, dtype=None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim, device=device, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


class MLP(nn.Module):
    """Linear -> activation -> Linear, the feed-forward half of a block."""

    def __init__(self, channels: int, hidden: int, act_layer: type[nn.Module] = nn.GELU, device=None, dtype=None):
        super().__init__()
        dd = dict(device=device, dtype=dtype)
        self.fc1, self.act, self.fc2 = nn.Linear(channels, hidden, **dd), act_layer(), nn.Linear(hidden, channels, **dd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


def inverse_softplus(x: torch.Tensor) -> torch.Tensor:
    """softplus^{-1}(x) = x + log(1 - exp(-x)); used to initialise dt biases (Mamba's dt init)."""
    return x + torch.log(-torch.expm1(-x))


def log_uniform_(tensor: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """exp(U(log low, log high)), in place."""
    with torch.no_grad():
        return tensor.uniform_(math.log(low), math.log(high)).exp_()


DECAY_INITS = {"fla": (0.0, 16.0), "mamba2": (1.0, 16.0)}  # A ~ U(low, high): fla's GatedDeltaNet, Mamba2


def decay_parameters(
    num_heads: int,
    init: str = "fla",
    long_memory_tokens: float | None = None,
    long_memory_fraction: float = 0.25,
    device=None,
    dtype=None,
) -> tuple[nn.Parameter, nn.Parameter]:
    """Per-head decay of an SSM state, log a_t = -exp(`A_log`) * softplus(proj(x_t) + `dt_bias`): `A_log` = log A
    with A ~ U(0, 16) (`init="fla"`) or U(1, 16) (`"mamba2"`), `dt_bias` = softplus^-1 of dt ~ logU(1e-3, 0.1).
    Such heads forget within about 1 / (A dt) tokens, i.e. a few to a few hundred.

    Long-memory heads: with `long_memory_tokens` = L (the expected tokens per sample where the mixer works), the
    last max(1, round(`long_memory_fraction` * H)) heads get A = 1 and dt = 1 / (2 L), so they keep exp(-1/2) = 61%
    of their state over one sample (e-folding memory 2 L tokens) and can carry one sample into the next.
    Both parameters are excluded from weight decay.
    """
    if init not in DECAY_INITS:
        raise ValueError(f"decay init must be one of {sorted(DECAY_INITS)}, got {init!r}")
    if not 0.0 <= long_memory_fraction <= 1.0:
        raise ValueError(f"long_memory_fraction must lie in [0, 1], got {long_memory_fraction}")
    if long_memory_tokens is not None and long_memory_tokens < 1:
        raise ValueError(f"long_memory_tokens must be >= 1 token, got {long_memory_tokens}")
    dd = dict(device=device, dtype=dtype)
    low, high = DECAY_INITS[init]
    A = torch.empty(num_heads, **dd).uniform_(low, high).clamp_min_(1e-4)
    dt = log_uniform_(torch.empty(num_heads, **dd), 1e-3, 0.1)
    if long_memory_tokens is not None:
        n_long = max(1, round(long_memory_fraction * num_heads))
        A[num_heads - n_long :] = 1.0
        dt[num_heads - n_long :] = 1.0 / (2.0 * long_memory_tokens)
    A_log, dt_bias = nn.Parameter(A.log()), nn.Parameter(inverse_softplus(dt))
    A_log._no_weight_decay = dt_bias._no_weight_decay = True
    return A_log, dt_bias
