"""tools/gpu_check.sh: the dry run (what CI can check of the GPU check) finds every script, config and CUDA test
it would run, and reports what is missing; without a GPU the real run refuses with a clear message."""

import os
import subprocess
import sys

import pytest
import torch

from tests.helpers.common import ROOT, run_tool
from tools.dev import gpu_check


def test_dry_run_finds_every_part():
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        ["sh", "tools/gpu_check.sh", "--dry-run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "dry run: ok" in proc.stdout
    collected = int(proc.stdout.split(" CUDA tests collected")[0].rsplit(" ", 1)[-1])
    assert collected >= 19, proc.stdout  # 15 fla kernel tests, mamba SSD, spconv, backbone x2, bf16 step
    for part in ("env", "tests", "ops", "backbone", "pretrain"):
        assert f"\n{part}: " in "\n" + proc.stdout, f"part {part} not planned:\n{proc.stdout}"


def test_dry_run_uses_the_project_environment_when_python3_has_no_torch(tmp_path):
    """With PYTHON unset, gpu_check.sh takes .venv/bin/python (made by the README's commands) over python3."""
    if not os.path.exists(os.path.join(ROOT, ".venv", "bin", "python")):
        pytest.skip("no .venv here: tools/test.sh creates it")
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n")
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    env.update(PATH=f"{tmp_path}:{env['PATH']}", OMP_NUM_THREADS="1")
    proc = subprocess.run(
        ["sh", "tools/gpu_check.sh", "--dry-run", "--only", "env"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0 and "dry run: ok" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert ".venv/bin/python" in proc.stdout


def test_dry_run_reports_a_missing_script(monkeypatch, capsys, tmp_path):
    original = gpu_check.part_commands

    def broken(args, py):
        commands = original(args, py)
        commands["ops"] = [[py, "tools/bench/no_such_bench.py"]]
        return commands

    monkeypatch.setattr(gpu_check, "part_commands", broken)
    args = gpu_check.argparse.Namespace(only=["ops"], work=str(tmp_path), out=str(tmp_path), pretrain_steps=1)
    assert gpu_check.dry_run(args, sys.executable) == 1
    assert "tools/bench/no_such_bench.py is missing" in capsys.readouterr().err


def test_real_run_without_cuda_refuses_clearly():
    if torch.cuda.is_available():
        return  # on a GPU machine the real run is tools/gpu_check.sh itself
    proc = run_tool(
        "tools/dev/gpu_check.py", "--only", "env", "--out", os.path.join(ROOT, "exp", "gpu_check_cpu"), check=False
    )
    assert proc.returncode != 0
    assert "no CUDA device is visible" in proc.stderr
