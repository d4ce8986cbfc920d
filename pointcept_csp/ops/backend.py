"""Backend choice for the sequence ops: `"auto" | "torch" | "fla" | "mamba"`; a named backend never falls back."""

from __future__ import annotations

import importlib.util
from typing import Literal, get_args

import torch

Backend = Literal["auto", "torch", "fla", "mamba"]
BACKENDS = get_args(Backend)
_PACKAGES = {"fla": ("fla", "flash-linear-attention"), "mamba": ("mamba_ssm", "mamba-ssm")}


def has_package(backend: str) -> bool:
    module, _ = _PACKAGES[backend]
    return importlib.util.find_spec(module) is not None


def resolve_backend(backend: str, x: torch.Tensor, supported: tuple[str, ...], op: str) -> str:
    """`auto` -> the first installed GPU backend of `supported` for CUDA tensors, else `torch`; validates the rest."""
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
        if not x.is_cuda:
            raise RuntimeError(
                f"backend {backend!r} runs on CUDA tensors only, got a tensor on {x.device}; "
                f"use backend='torch' on the CPU"
            )
    return backend
