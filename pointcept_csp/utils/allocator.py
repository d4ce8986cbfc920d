"""CPU training: how glibc's allocator treats the large buffers a training step frees and re-allocates (glibc only).

Three policies, `cpu_allocator` in a config (CSPTrainer applies it) or `POINTCEPT_CSP_MALLOC` in the environment
(which wins):

- "keep" (default): `MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<large>` set at run time. Freed buffers stay in the
  process and are reused, so a step does not page-fault its working set back in. By default glibc serves buffers
  above its mmap threshold with fresh mappings and unmaps them on free, and a training step pays for the page faults
  (for the real PTv3 too: docs/benchmarks.md). The cost: everything lives on one heap, and with many buffer sizes
  it fragments.
- "lean": a fixed mmap threshold of 128 KiB (`MALLOC_MMAP_THRESHOLD_`), which also stops glibc's dynamic threshold
  from moving buffers of up to 32 MiB onto the heap: resident memory follows the live tensors. For memory-bound
  runs: the full-width pre-training config selects it, at about half the peak of "keep" and a longer step
  (docs/benchmarks.md, "Memory of the paper's pre-training config").
- "default": glibc as it is.

Nothing is applied where CUDA is visible (host memory is not the bottleneck there) or outside glibc.
"""

from __future__ import annotations

import ctypes
import os
import sys

import torch

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4
LEAN_MMAP_THRESHOLD = 128 * 1024
ENV = "POINTCEPT_CSP_MALLOC"
POLICIES = ("keep", "lean", "default")


def _mallopt():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (e.g. musl)
        return None
    return getattr(libc, "mallopt", None)


def apply_cpu_allocator(policy: str = "keep") -> str | None:
    """Apply `policy` (the environment's `POINTCEPT_CSP_MALLOC` overrides it); returns the policy that now holds, or
    None when nothing was applied (CUDA visible, not glibc, or "default")."""
    policy = os.environ.get(ENV, policy)
    if policy not in POLICIES:
        raise ValueError(f"CPU allocator policy ({ENV} or cpu_allocator) must be one of {POLICIES}, got {policy!r}")
    mallopt = _mallopt()
    if policy == "default" or mallopt is None or torch.cuda.is_available():
        return None
    if policy == "keep":
        applied = bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
    else:
        applied = bool(mallopt(M_MMAP_THRESHOLD, LEAN_MMAP_THRESHOLD))
    return policy if applied else None


def keep_freed_memory() -> bool:
    """The "keep" policy (unless the environment says otherwise); returns whether it applied."""
    return apply_cpu_allocator("keep") == "keep"
