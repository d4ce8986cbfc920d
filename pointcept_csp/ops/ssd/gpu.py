"""Adapters of the Mamba2 scan to GPU kernels (imported when called): fla's `chunk_simple_gla`, mamba-ssm's
`mamba_chunk_scan_combined` (its `seq_idx` path resets the state at sequence starts)."""

from __future__ import annotations

import torch

from ..backend import kernel_dtype


def ssd_fla(x, dt, A, B, C, *, D=None, initial_state=None, output_final_state=False, cu_seqlens=None):
    """Same arguments and returns as `ssd_reference`, through fla's scalar-gated linear attention: q = C, k = B,
    v = dt x, g = dt A (float32), scale 1; fla's state `[K, V]` is ours `[P, N]` transposed."""
    from fla.ops.simple_gla import chunk_simple_gla

    heads_per_group = x.shape[2] // B.shape[2]
    dtype = kernel_dtype(x, dt, B, C)
    keys = B.repeat_interleave(heads_per_group, dim=2).to(dtype)
    queries = C.repeat_interleave(heads_per_group, dim=2).to(dtype)
    init = initial_state.transpose(-1, -2).contiguous() if initial_state is not None else None
    y, final = chunk_simple_gla(
        queries,
        keys,
        (x * dt[..., None]).to(dtype),
        g=(dt * A).float(),
        scale=1.0,
        initial_state=init,
        output_final_state=output_final_state,
        cu_seqlens=None if cu_seqlens is None else cu_seqlens.long(),
    )
    if D is not None:
        y = y + x * (D[:, None] if D.dim() == 1 else D)
    return y, (final.transpose(-1, -2) if output_final_state else None)


def ssd_mamba(x, dt, A, B, C, *, D=None, initial_state=None, output_final_state=False, cu_seqlens=None):
    """Same arguments and returns as `ssd_reference`, through mamba-ssm's Triton SSD kernels."""
    from mamba_ssm.ops.triton.ssd_combined import mamba_chunk_scan_combined

    num_seqs = 1 if cu_seqlens is None else cu_seqlens.numel() - 1
    if initial_state is not None and num_seqs > 1:
        raise ValueError("backend 'mamba' takes an initial_state only for a single sequence; use backend='torch'")
    seq_idx = None
    if cu_seqlens is not None:
        lengths = cu_seqlens[1:] - cu_seqlens[:-1]
        seq_idx = torch.repeat_interleave(torch.arange(num_seqs, device=x.device, dtype=torch.int32), lengths)[None]
    want_varlen = output_final_state and cu_seqlens is not None
    out = mamba_chunk_scan_combined(
        x,
        dt,
        A,
        B,
        C,
        chunk_size=64,
        D=D,
        initial_states=initial_state,
        seq_idx=seq_idx,
        cu_seqlens=cu_seqlens if want_varlen else None,
        return_final_states=output_final_state and not want_varlen,
        return_varlen_states=want_varlen,
    )
    if not output_final_state:
        return out, None
    return out[0], out[1]
