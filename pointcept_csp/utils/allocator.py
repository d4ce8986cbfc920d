"""CPU training: keep freed heap memory in the process instead of returning it to the OS (glibc only).

A training step frees and re-allocates the same large activation buffers. By default glibc serves buffers above its
mmap threshold with fresh mappings and unmaps them on free, so every step page-faults its working set back in.
Measured with `tools/bench/bench_backbone.py` (docs/benchmarks.md, 1 thread): a training step on 4 scenes x 8k
points takes 27.1 s with the default and 19.4 s without the churn (1.40x), on 8 scenes 56.7 s vs 48.5 s.
`keep_freed_memory()` is `MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<large>` set at run time (mallopt), for processes
that are already running; peak memory stays within about 10% (freed buffers are reused, not added).
"""

from __future__ import annotations

import ctypes
import os
import sys

import torch

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_MAX = -4
OPT_OUT = "POINTCEPT_CSP_MALLOC"  # =default keeps glibc's behaviour


def keep_freed_memory() -> bool:
    """Turn off mmap-served allocations and heap trimming for CPU training; returns whether it applied: not with a
    visible CUDA device (host memory is not the bottleneck there), not outside glibc, not when the environment has
    POINTCEPT_CSP_MALLOC=default."""
    if os.environ.get(OPT_OUT) == "default" or not sys.platform.startswith("linux") or torch.cuda.is_available():
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (e.g. musl)
        return False
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
