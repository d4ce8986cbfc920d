"""Backend choice for the sequence ops: `"auto" | "torch" | "fla" | "mamba"`; a named backend never falls back."""

from __future__ import annotations

import importlib.util
import os
from typing import Literal, get_args

import torch

Backend = Literal["auto", "torch", "fla", "mamba"]
BACKENDS = get_args(Backend)
_PACKAGES = {"fla": ("fla", "flash-linear-attention"), "mamba": ("mamba_ssm", "mamba-ssm")}


def has_package(backend: str) -> bool:
    module, _ = _PACKAGES[backend]
    return importlib.util.find_spec(module) is not None


def triton_interpreted() -> bool:
    """`TRITON_INTERPRET=1`: Triton runs kernels in its interpreter, on CPU tensors (slow; how CI tests fla's
    kernels without a GPU, see tests/triton_interpreter.py)."""
    return os.environ.get("TRITON_INTERPRET") == "1"


def resolve_backend(backend: str, x: torch.Tensor, supported: tuple[str, ...], op: str) -> str:
    """`auto` -> the first installed GPU backend of `supported` for CUDA tensors, else `torch`; validates the rest.
    `"fla"` takes CPU tensors only under Triton's interpreter; `auto` never picks it for them."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        if x.is_cuda:
            for candidate in supported:
                if candidate != "torch" and has_package(candidate):
                    return candidate
        return "torch"
    if backend not in supported:
        raise ValueError(f"{op} supports backends {('auto',) + supported}, got {backend!r}")
    if backend != "torch":
        module, pip_name = _PACKAGES[backend]
        if not has_package(backend):
            raise RuntimeError(f"backend {backend!r} needs the package {pip_name}: pip install -e .[cu120]")
        if not x.is_cuda and not (backend == "fla" and triton_interpreted()):
            raise RuntimeError(
                f"backend {backend!r} runs on CUDA tensors only, got a tensor on {x.device}; "
                "use backend='torch' on the CPU"
                + (" (tests run fla on CPU tensors under TRITON_INTERPRET=1)" if backend == "fla" else "")
            )
    return backend


def kernel_dtype(*tensors: torch.Tensor) -> torch.dtype:
    """The one floating dtype a GPU kernel reads its operands in: the autocast dtype inside an autocast region of
    the tensors' device (mixers hand over bf16 projections next to fp32 decays and conv outputs, which fla's
    `tl.dot` refuses to mix), else the promoted dtype of the operands."""
    device_type = tensors[0].device.type
    if torch.is_autocast_enabled(device_type):
        return torch.get_autocast_dtype(device_type)
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return dtype
