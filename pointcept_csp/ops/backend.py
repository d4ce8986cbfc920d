"""Backend choice for the sequence ops: `"auto" | "torch" | "fla" | "mamba"`; a named backend never falls back."""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import warnings
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
    kernels without a GPU, see tests/helpers/triton_interpreter.py)."""
    return os.environ.get("TRITON_INTERPRET") == "1"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("+")[0].split(".")[:3] if part.isdigit())


def hopper_triton_blocker(capability: tuple[int, int], triton_version: str, has_tilelang: bool) -> str | None:
    """fla 0.6.0 refuses the backward of its gated kernels on Hopper (compute capability 9.x) with triton >= 3.4.0
    and < 3.7.1, whose results there are wrong (fla issue #640), unless tilelang is installed. Seen on an H200 with
    torch 2.11's triton 3.6.0 (2026-12-04). Returns why fla cannot train on this device, or `None`."""
    if capability[0] != 9 or has_tilelang or not (3, 4, 0) <= _version(triton_version) < (3, 7, 1):
        return None
    return (
        f"flash-linear-attention cannot train on this Hopper GPU with triton {triton_version}: triton >= 3.4.0 and "
        "< 3.7.1 computes its gated backward wrongly there (fla issue #640); install triton >= 3.7.1 (torch 2.13's "
        "CUDA build pins it) or tilelang"
    )


def fla_training_blocker(x: torch.Tensor) -> str | None:
    """Why fla's backward cannot run for this CUDA tensor, or `None` (see `hopper_triton_blocker`)."""
    return (
        _device_blocker(x.device.index if x.device.index is not None else torch.cuda.current_device())
        if x.is_cuda
        else None
    )


@functools.lru_cache(maxsize=None)
def _device_blocker(index: int) -> str | None:
    """Once per device: every mixer call of a training step asks, and the answer reads package metadata."""
    if importlib.util.find_spec("triton") is None:
        return None
    return hopper_triton_blocker(
        torch.cuda.get_device_capability(index),
        importlib.metadata.version("triton"),
        importlib.util.find_spec("tilelang") is not None,
    )


def resolve_backend(backend: str, x: torch.Tensor, supported: tuple[str, ...], op: str) -> str:
    """`auto` -> the first installed GPU backend of `supported` for CUDA tensors, else `torch`; validates the rest.
    `"fla"` takes CPU tensors only under Triton's interpreter; `auto` never picks it for them. When autograd will
    need fla's backward on a device where fla refuses it (`fla_training_blocker`), `auto` takes the next backend and
    warns, and a named `"fla"` raises before the forward."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    needs_backward = x.requires_grad and torch.is_grad_enabled()
    blocker = fla_training_blocker(x) if "fla" in supported and needs_backward else None
    if backend == "auto":
        if x.is_cuda:
            for candidate in supported:
                if candidate == "fla" and blocker is not None and has_package("fla"):
                    warnings.warn(f"{op}: backend 'auto' skips fla: {blocker}", stacklevel=3)
                    continue
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
        if backend == "fla" and blocker is not None:
            raise RuntimeError(blocker)
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
