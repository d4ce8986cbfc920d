"""Integration with a real Pointcept checkout. Runs when POINTCEPT_ROOT points at one (and, optionally,
POINTCEPT_PYTHON at an interpreter with Pointcept's pure-python needs: yapf, addict, scipy, termcolor, tensorboardX,
einops, h5py, plyfile); skips with the reason otherwise. See docs/pointcept.md. Every check runs in its own process
with the Pointcept host forced, so the rest of the suite keeps the standalone host."""

import os
import subprocess
import sys

import pytest

from tests.helpers.common import ROOT

POINTCEPT_ROOT = os.environ.get("POINTCEPT_ROOT", "")
PYTHON = os.environ.get("POINTCEPT_PYTHON", sys.executable)
pytestmark = [
    pytest.mark.pointcept,
    pytest.mark.skipif(
        not os.path.isdir(os.path.join(POINTCEPT_ROOT, "pointcept")),
        reason="no Pointcept checkout: set POINTCEPT_ROOT=/path/to/Pointcept to run the integration "
        "tests (the same plugin code is covered through the standalone host)",
    ),
]
CHECKS = [
    "registries",
    "configs",
    "config_types",
    pytest.param(  # every config, train + test stages (~4.5 min)
        "config_stages",
        marks=pytest.mark.slow(fast="tests/integration/test_pointcept.py::test_against_pointcept[trainer]"),
    ),
    "pretraining_batch",
    "spd_eval_outputs",
    "trainer",
    "optimizer_groups",
    "pointcept_train_script",
    "predict",
    "data_efficient",
    "prepared_data",
]


NEEDS_SCANS = ("pretraining_batch", "optimizer_groups", "predict", "prepared_data")
SHARDS = {"config_stages": 2}  # its ~40 configs run as two single-threaded processes side by side (2 cores)
SCANNET_MINI = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-mini")


@pytest.mark.parametrize("check", CHECKS)
def test_against_pointcept(check, tmp_path):
    if check in NEEDS_SCANS and not os.path.isdir(os.path.join(SCANNET_MINI, "train")):
        pytest.skip(f"the real sample scans are not at {SCANNET_MINI}")
    env = dict(
        os.environ,
        POINTCEPT_CSP_HOST="pointcept",
        OMP_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join([ROOT, POINTCEPT_ROOT]),
        POINTCEPT_ROOT=POINTCEPT_ROOT,
    )
    shards = SHARDS.get(check, 1)
    logs = [tmp_path / f"{check}-{shard}.log" for shard in range(shards)]
    procs = []
    for shard, log in enumerate(logs):
        with open(log, "w") as out:  # a file, not a pipe: a shard's output never blocks it
            shard_env = dict(env, CONFIG_STAGES_SHARD=f"{shard}/{shards}")
            command = [PYTHON, "tests/integration/pointcept_checks.py", check]
            procs.append(subprocess.Popen(command, cwd=ROOT, env=shard_env, stdout=out, stderr=subprocess.STDOUT))
    try:
        for proc, log in zip(procs, logs):
            proc.wait(timeout=900)
            output = log.read_text()
            assert proc.returncode == 0 and f"OK {check}" in output, output[-6000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
