"""spconv's `SubMConv3d` as a backend of `ops.sparse.submanifold_conv` (CUDA only; imported lazily).

spconv keeps a 3-D kernel as `[C_out, k, k, k, C_in]` with the kernel axes in (x, y, z) order: our
`[K^3, C_in, C_out]` with K^3 in `kernel_offsets` order (lexicographic dx, dy, dz), reshaped and transposed. Checked
against the native conv on spconv's CPU build with one thread by `tests/ops/test_spconv_cpu.py` on every CI run
(values, input, weight and bias gradients, whole backbones), and on CUDA by `tests/ops/test_sparse.py` where a GPU and
spconv exist. The package never runs spconv on CPU tensors by itself: its CPU build was measured to give wrong outputs
with more than one thread, and its backward asks for a CUDA stream. The test-only switch `POINTCEPT_CSP_SPCONV_CPU=1`
lets the named backend take CPU tensors when torch runs one thread (the tests answer the stream query themselves).
"""

from __future__ import annotations

import importlib.util
import os

import torch

CONV_BACKENDS = ("auto", "torch", "spconv")
CPU_SWITCH = "POINTCEPT_CSP_SPCONV_CPU"


def has_spconv() -> bool:
    return importlib.util.find_spec("spconv") is not None


def resolve_conv_backend(backend: str, feat: torch.Tensor) -> str:
    """`auto` -> spconv for CUDA tensors when installed, else the native `torch` conv; a named backend never falls
    back."""
    if backend not in CONV_BACKENDS:
        raise ValueError(f"conv backend must be one of {CONV_BACKENDS}, got {backend!r}")
    if backend == "auto":
        return "spconv" if feat.is_cuda and has_spconv() else "torch"
    if backend == "spconv":
        if not has_spconv():
            raise RuntimeError("conv backend 'spconv' needs the package spconv-cu120: pip install -e .[cu120]")
        if not feat.is_cuda and os.environ.get(CPU_SWITCH) != "1":
            raise RuntimeError(
                f"conv backend 'spconv' runs on CUDA tensors only, got a tensor on {feat.device}; "
                f"use 'torch' on the CPU ({CPU_SWITCH}=1 lets tests run spconv's CPU build)"
            )
        if not feat.is_cuda and torch.get_num_threads() != 1:
            raise RuntimeError(
                f"spconv's CPU build gives wrong results with more than one thread: expected "
                f"torch.get_num_threads() == 1 under {CPU_SWITCH}=1, got {torch.get_num_threads()}"
            )
    return backend


def to_spconv_weight(weight: torch.Tensor) -> torch.Tensor:
    """`[K^3, C_in, C_out]` (ours) -> `[C_out, k, k, k, C_in]` (spconv), differentiable."""
    k = round(weight.shape[0] ** (1 / 3))
    return weight.reshape(k, k, k, weight.shape[1], weight.shape[2]).permute(4, 0, 1, 2, 3).contiguous()


def spconv_tensor(feat: torch.Tensor, grid_coord: torch.Tensor, batch: torch.Tensor):
    """A `SparseConvTensor` of the points (coordinates shifted to start at 0). `submanifold_conv_spconv` stores the
    index pairs it builds in it (`indice_dict`), so they are built once per resolution and kernel size."""
    import spconv.pytorch as spconv

    grid = grid_coord.long() - grid_coord.long().min(dim=0).values
    indices = torch.cat([batch.long()[:, None], grid], dim=1).int()
    spatial_shape = (grid.max(dim=0).values + 1).tolist()
    return spconv.SparseConvTensor(feat, indices, spatial_shape, int(batch.max()) + 1)


def submanifold_conv_spconv(
    feat: torch.Tensor, weight: torch.Tensor, base, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """`ops.sparse.submanifold_conv` computed by spconv. `base`: the resolution's tensor from `spconv_tensor`."""
    import spconv.pytorch as spconv

    k = round(weight.shape[0] ** (1 / 3))
    with torch.device("meta"):  # a shell for spconv's forward; its own weight is never materialised nor used
        conv = spconv.SubMConv3d(weight.shape[1], weight.shape[2], k, bias=False, indice_key=f"subm{k}")
    weight = to_spconv_weight(weight).to(feat.dtype)  # under autocast the features may be half precision
    out = torch.func.functional_call(conv, {"weight": weight}, (base.replace_feature(feat),))
    base.indice_dict.update(out.indice_dict)  # spconv hands the new index pairs to the output only: keep them
    return out.features if bias is None else out.features + bias
