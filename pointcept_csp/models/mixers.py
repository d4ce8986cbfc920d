"""Token mixers over serialized point tokens: Gated DeltaNet (the paper's choice) and Mamba2.

Both read packed tokens `[N, C]` in serialization order. `cu_seqlens=None` reads the whole batch as one sequence, so
the recurrent state carries semantics from one sample into the next (CSP, the paper's F' = [f_11..f_1L, f_21..f_BL]);
`cu_seqlens=[0, *offset]` resets the state at every sample start (independent mode: SPD student, inference).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..ops import Backend, gated_delta_rule, short_conv, ssd
from ..ops.layout import check_cu_seqlens, chunk_layout, from_chunks, to_chunks
from ..ops.norms import l2_normalize
from .layers import RMSNorm, decay_parameters, trunc_normal_
from .recompute import maybe_recompute


def flip_cu_seqlens(cu_seqlens: torch.Tensor | None, total: int) -> torch.Tensor | None:
    """Boundaries of the token-reversed packed sequence."""
    return None if cu_seqlens is None else (total - cu_seqlens).flip(0)


class SequenceMixer(nn.Module):
    """Base: `forward` runs `scan` over the tokens, and with `bidirectional` also over the reversed tokens (same
    weights), summing both; each subclass implements `scan(x [1, N, C], cu_seqlens) -> [1, N, C]`. With `recompute`
    a training step stores only the mixer's input and recomputes the rest in backward."""

    def __init__(self, bidirectional: bool = False, recompute: bool = False) -> None:
        super().__init__()
        self.bidirectional, self.recompute = bidirectional, recompute

    def forward(self, feat: torch.Tensor, cu_seqlens: torch.Tensor | None = None) -> torch.Tensor:
        return maybe_recompute(self.mix, feat, cu_seqlens, recompute=self.recompute and self.training)

    def mix(self, feat: torch.Tensor, cu_seqlens: torch.Tensor | None) -> torch.Tensor:
        x = feat.unsqueeze(0)
        out = self.scan(x, cu_seqlens)
        if self.bidirectional:
            out = out + self.scan(x.flip(1), flip_cu_seqlens(cu_seqlens, x.shape[1])).flip(1)
        return out.squeeze(0)

    def scan(self, x: torch.Tensor, cu_seqlens: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError


class GatedDeltaNetMixer(SequenceMixer):
    """Gated DeltaNet layer (Yang et al., arXiv:2412.06464), the paper's SSM ("an enhanced Mamba2").

    Paper symbols: the recurrent state h_t = S_t `[H, K, V]`; A, B, C of h_t = f(A h_{t-1} + B f'_t), y_t = C h_t are
    realised as the decay a_t = exp(g_t), g_t = -exp(`A_log`) * softplus(`a_proj`(x_t) + `dt_bias`), the write
    k_t v_t^T with strength beta_t = sigmoid(`b_proj`(x_t)), and the read S_t^T q_t. q, k, v pass a causal short
    conv + SiLU; q, k are L2-normalised; the output is per-head RMS-normalised, gated by SiLU(`g_proj`(x_t)).

    Args:
        channels (int): C. num_heads (int, Optional): H; C must divide by H (K = C / H). Default: 4.
        expand_v (float, Optional): V = expand_v * K. Default: 1.
        conv_size (int, Optional): short-conv width. Default: 4.
        bidirectional (bool, Optional): add a reversed-order scan. Default: `False`.
        recompute (bool, Optional): store only the input for backward (the backbone's `recompute="mixer"`).
            Default: `False`.
        backend (Backend, Optional): kernel of the recurrence, see `pointcept_csp.ops`. Default: `"auto"`.
        decay_init (str, Optional): "fla" (A ~ U(0, 16)) or "mamba2" (A ~ U(1, 16)). Default: `"fla"`.
        long_memory_tokens (float, Optional): expected tokens per sample; sizes the long-memory heads
            (`layers.decay_parameters`). Default: `None` (none).
        long_memory_fraction (float, Optional): share of the heads with long memory (at least one). Default: 0.25.
        output_init (str, Optional): "unit": the output gate `g_proj` and `o_proj` drawn with std 1 / sqrt(fan_in),
            so the branch starts at about the scale of the residual stream; "transformer": std 0.02 like every other
            linear (at widths 16-64 that leaves the branch a small fraction of the stream: docs/design.md, measured
            with tools/csp_reach.py). Default: `"unit"`.
    """

    def __init__(
        self,
        channels: int,
        num_heads: int = 4,
        expand_v: float = 1.0,
        conv_size: int = 4,
        bidirectional: bool = False,
        recompute: bool = False,
        backend: Backend = "auto",
        decay_init: str = "fla",
        long_memory_tokens: float | None = None,
        long_memory_fraction: float = 0.25,
        output_init: str = "unit",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(bidirectional, recompute)
        if output_init not in ("unit", "transformer"):
            raise ValueError(f"output_init must be 'unit' or 'transformer', got {output_init!r}")
        if channels % num_heads != 0:
            raise ValueError(f"channels ({channels}) must be divisible by num_heads ({num_heads})")
        dd = dict(device=device, dtype=dtype)
        self.num_heads, self.head_k = num_heads, channels // num_heads
        self.head_v = int(self.head_k * expand_v)
        self.backend = backend
        dk, dv = num_heads * self.head_k, num_heads * self.head_v
        self.q_proj = nn.Linear(channels, dk, bias=False, **dd)
        self.k_proj = nn.Linear(channels, dk, bias=False, **dd)
        self.v_proj = nn.Linear(channels, dv, bias=False, **dd)
        self.g_proj = nn.Linear(channels, dv, bias=False, **dd)
        self.a_proj = nn.Linear(channels, num_heads, bias=False, **dd)
        self.b_proj = nn.Linear(channels, num_heads, bias=False, **dd)
        self.q_conv = nn.Parameter(torch.empty(dk, conv_size, **dd))
        self.k_conv = nn.Parameter(torch.empty(dk, conv_size, **dd))
        self.v_conv = nn.Parameter(torch.empty(dv, conv_size, **dd))
        self.A_log, self.dt_bias = decay_parameters(
            num_heads, decay_init, long_memory_tokens, long_memory_fraction, **dd
        )
        self.o_norm = RMSNorm(self.head_v, **dd)
        self.o_proj = nn.Linear(dv, channels, bias=False, **dd)
        for w in (self.q_conv, self.k_conv, self.v_conv):
            nn.init.kaiming_uniform_(w, a=5**0.5)
        self.output_init = output_init
        for lin in (self.q_proj, self.k_proj, self.v_proj, self.g_proj, self.a_proj, self.b_proj, self.o_proj):
            trunc_normal_(lin.weight)
        self.init_output_projection()

    def init_output_projection(self) -> None:
        """Re-draw `g_proj` and `o_proj` for `output_init="unit"` (the backbone calls this after its own init)."""
        if self.output_init == "unit":
            for lin in (self.g_proj, self.o_proj):
                trunc_normal_(lin.weight, std=lin.in_features**-0.5)

    def log_decay(self, x: torch.Tensor) -> torch.Tensor:
        """log a_t = g_t = -exp(A_log) * softplus(a_proj(x_t) + dt_bias), `[..., T, H]` (float32)."""
        return self.decay_from_logits(self.a_proj(x))

    def decay_from_logits(self, a: torch.Tensor) -> torch.Tensor:
        return -self.A_log.float().exp() * F.softplus(a.float() + self.dt_bias)

    def scan(self, x: torch.Tensor, cu_seqlens: torch.Tensor | None) -> torch.Tensor:
        H, K, V = self.num_heads, self.head_k, self.head_v
        T = x.shape[1]
        # the six input projections as one GEMM and the three short convs as one conv (same weights, fewer passes)
        projections = (self.q_proj, self.k_proj, self.v_proj, self.g_proj, self.a_proj, self.b_proj)
        qkv, gate, a, b = F.linear(x, torch.cat([p.weight for p in projections])).split(
            [2 * H * K + H * V, H * V, H, H], dim=-1
        )
        qkv = short_conv(qkv, torch.cat([self.q_conv, self.k_conv, self.v_conv]), cu_seqlens=cu_seqlens)
        qk, v = qkv.split([2 * H * K, H * V], dim=-1)
        q, k = l2_normalize(qk.view(1, T, 2 * H, K)).split(H, dim=2)  # q and k normalised in one pass
        o, _ = gated_delta_rule(
            q,
            k,
            v.reshape(1, T, H, V),
            self.decay_from_logits(a).to(x.dtype),
            b.sigmoid(),
            cu_seqlens=cu_seqlens,
            backend=self.backend,
        )
        return self.o_proj((self.o_norm(o) * F.silu(gate.reshape(1, T, H, V))).reshape(1, T, H * V))


class Mamba2Mixer(SequenceMixer):
    """Mamba2 layer (Dao & Gu, arXiv:2405.21060): in_proj -> (z, x, B, C, dt); causal conv + SiLU on x, B, C;
    SSD scan h_t = exp(dt_t A) h_{t-1} + dt_t x_t B_t^T, y_t = C_t h_t + D x_t; RMSNorm(y * SiLU(z)); out_proj.

    Args:
        channels (int): C. state_size (int, Optional): N. Default: 64. head_dim (int, Optional): P. Default: 32.
        expand (int, Optional): inner width = expand * C, split into heads of P. Default: 2.
        conv_size (int, Optional): Default: 4. bidirectional (bool, Optional): Default: `False`.
        recompute (bool, Optional): store only the input for backward. Default: `False`.
        backend (Backend, Optional): Default: `"auto"`.
        decay_init, long_memory_tokens, long_memory_fraction: as `GatedDeltaNetMixer`. Default: "mamba2", None, 0.25.
    """

    def __init__(
        self,
        channels: int,
        state_size: int = 64,
        head_dim: int = 32,
        expand: int = 2,
        conv_size: int = 4,
        bidirectional: bool = False,
        recompute: bool = False,
        backend: Backend = "auto",
        decay_init: str = "mamba2",
        long_memory_tokens: float | None = None,
        long_memory_fraction: float = 0.25,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(bidirectional, recompute)
        inner = expand * channels
        if inner % head_dim != 0:
            raise ValueError(f"expand * channels ({inner}) must be divisible by head_dim ({head_dim})")
        dd = dict(device=device, dtype=dtype)
        self.inner, self.state_size, self.head_dim = inner, state_size, head_dim
        self.num_heads = inner // head_dim
        self.backend = backend
        self.in_proj = nn.Linear(channels, 2 * inner + 2 * state_size + self.num_heads, bias=False, **dd)
        self.conv = nn.Parameter(torch.empty(inner + 2 * state_size, conv_size, **dd))
        self.conv_bias = nn.Parameter(torch.zeros(inner + 2 * state_size, **dd))
        self.A_log, self.dt_bias = decay_parameters(
            self.num_heads, decay_init, long_memory_tokens, long_memory_fraction, **dd
        )
        self.D = nn.Parameter(torch.ones(self.num_heads, **dd))
        self.D._no_weight_decay = True
        self.norm = RMSNorm(inner, **dd)
        self.out_proj = nn.Linear(inner, channels, bias=False, **dd)
        nn.init.kaiming_uniform_(self.conv, a=5**0.5)
        trunc_normal_(self.in_proj.weight)
        trunc_normal_(self.out_proj.weight)

    def log_decay(self, x: torch.Tensor) -> torch.Tensor:
        """log of the state decay exp(dt_t A), dt_t = softplus(dt-projection(x_t) + dt_bias), `[..., T, H]`."""
        dt = self.in_proj(x)[..., -self.num_heads :]
        return -self.A_log.exp() * F.softplus(dt + self.dt_bias)

    def scan(self, x: torch.Tensor, cu_seqlens: torch.Tensor | None) -> torch.Tensor:
        T, N, H, P = x.shape[1], self.state_size, self.num_heads, self.head_dim
        z, xbc, dt = self.in_proj(x).split([self.inner, self.inner + 2 * N, H], dim=-1)
        xbc = short_conv(xbc, self.conv, self.conv_bias, cu_seqlens=cu_seqlens)
        xs, B, C = xbc.split([self.inner, N, N], dim=-1)
        dt = F.softplus(dt + self.dt_bias)
        y, _ = ssd(
            xs.reshape(1, T, H, P),
            dt,
            -self.A_log.exp(),
            B.view(1, T, 1, N),
            C.view(1, T, 1, N),
            D=self.D,
            cu_seqlens=cu_seqlens,
            backend=self.backend,
        )
        return self.out_proj(self.norm(y.reshape(1, T, self.inner) * F.silu(z)))


class PatchAttentionMixer(nn.Module):
    """PTv3-style serialized patch attention (Wu et al., arXiv:2312.10035), the baseline a user would pick instead of
    an SSM: tokens in serialization order are cut into patches of `patch_size` that never straddle a sequence start,
    and multi-head attention runs within each patch (plain PyTorch SDPA). With `cu_seqlens=None` the batch is one
    sequence, so a patch may span the end of one sample and the start of the next.

    Args:
        channels (int): C. num_heads (int): H. patch_size (int): tokens per patch. Default: 1024.
        recompute (bool, Optional): store only the input for backward. Default: `False` (as PTv3).
    """

    def __init__(
        self,
        channels: int,
        num_heads: int = 4,
        patch_size: int = 1024,
        recompute: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if channels % num_heads != 0:
            raise ValueError(f"channels ({channels}) must be divisible by num_heads ({num_heads})")
        dd = dict(device=device, dtype=dtype)
        self.num_heads, self.patch_size, self.recompute = num_heads, patch_size, recompute
        self.qkv = nn.Linear(channels, 3 * channels, **dd)
        self.proj = nn.Linear(channels, channels, **dd)

    def forward(self, feat: torch.Tensor, cu_seqlens: torch.Tensor | None = None) -> torch.Tensor:
        return maybe_recompute(self.attend, feat, cu_seqlens, recompute=self.recompute and self.training)

    def attend(self, feat: torch.Tensor, cu_seqlens: torch.Tensor | None) -> torch.Tensor:
        T, C = feat.shape
        H = self.num_heads
        layout = chunk_layout(check_cu_seqlens(cu_seqlens, T), self.patch_size, feat.device)
        qkv = to_chunks(self.qkv(feat).view(T, 3, H, C // H), layout)  # [NP, P, 3, H, D]
        q, k, v = (x.transpose(1, 2) for x in qkv.unbind(2))  # [NP, H, P, D]
        valid = (
            layout.slot_valid
            if layout.slot_valid is not None
            else torch.arange(layout.num_chunks * self.patch_size, device=feat.device) < T
        )
        mask = valid.view(layout.num_chunks, 1, 1, self.patch_size)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # [NP, H, P, D]
        return self.proj(from_chunks(out.transpose(1, 2).reshape(layout.num_chunks, self.patch_size, C), layout))


MIXERS = {"gated_delta": GatedDeltaNetMixer, "mamba2": Mamba2Mixer, "patch_attention": PatchAttentionMixer}


def build_mixer(kind: str, channels: int, **kwargs) -> nn.Module:
    if kind not in MIXERS:
        raise ValueError(f"mixer must be one of {sorted(MIXERS)}, got {kind!r}")
    return MIXERS[kind](channels, **kwargs)
