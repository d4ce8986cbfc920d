"""Shared test helpers: paths, named closeness checks, subprocess runs of the tools, CUDA markers."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")  # the real scans (its README), never copied here
SCANNET_MINI = os.path.join(SHARED_DATA, "scannet-mini")


def requires_cuda(test):
    """Skip without a CUDA device; marked `requires_cuda`, so `pytest -m requires_cuda` selects the GPU checks
    (tools/gpu_check.sh runs them)."""
    skip = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
    return pytest.mark.requires_cuda(skip(test))


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """||actual - expected|| / ||expected|| (for GPU kernels against a reference), on the CPU in float64 whatever
    device each tensor is on."""
    actual, expected = actual.detach().cpu().double(), expected.detach().cpu().double()
    return ((actual - expected).norm() / expected.norm().clamp_min(1e-30)).item()


def assert_close(name: str, actual: torch.Tensor, expected: torch.Tensor, atol: float, rtol: float = 0.0) -> None:
    """`torch.testing.assert_close` with the tensor's name and the largest error in the message."""
    if actual.shape != expected.shape:
        raise AssertionError(f"{name}: shape {tuple(actual.shape)} != expected {tuple(expected.shape)}")
    if not torch.isfinite(actual).all():
        raise AssertionError(f"{name}: non-finite values")
    err = (actual.double() - expected.double()).abs().max().item() if actual.numel() else 0.0
    torch.testing.assert_close(
        actual, expected, atol=atol, rtol=rtol, msg=lambda m: f"{name}: max abs error {err:.3e}\n{m}"
    )


def run_tool(
    *args: str, env: dict | None = None, timeout: int = 600, check: bool = True
) -> subprocess.CompletedProcess:
    """Run `python <args>` from the repository root, single-threaded; fail with the tool's output on error."""
    full_env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT, **(env or {}))
    proc = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
        )
    return proc


def check_relative(name: str, actual: torch.Tensor | None, expected: torch.Tensor, tol: float) -> None:
    """The relative error of `actual` (a GPU kernel's output or gradient) against `expected` is below `tol`."""
    assert actual is not None, f"{name}: no gradient"
    assert actual.shape == expected.shape, f"{name}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    err = relative_error(actual, expected)
    assert err < tol, f"{name}: relative error {err:.2e} >= {tol:.0e}"


def missing_fast_counterpart(nodeid: str, fast) -> str | None:
    """Why a `slow` test's `fast=` does not name another test that exists (None when it does): `fast` is a node id,
    "tests/<file>.py::<test>" with an optional "[parameter]", whose test function is defined in that file."""
    if not isinstance(fast, str) or "::" not in fast:
        return f"{nodeid}: mark it @pytest.mark.slow(fast='tests/<file>.py::<test>'), got fast={fast!r}"
    path, name = fast.split("::", 1)
    if fast == nodeid or not os.path.isfile(os.path.join(ROOT, path)):
        return f"{nodeid}: fast={fast!r} must name another test file's or this file's other test"
    defined = {node.name for node in ast.parse(open(os.path.join(ROOT, path)).read()).body if hasattr(node, "name")}
    if name.split("[", 1)[0] not in defined:
        return f"{nodeid}: fast={fast!r}: no test {name.split('[', 1)[0]} in {path}"
    return None
