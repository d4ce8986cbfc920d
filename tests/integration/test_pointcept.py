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
SCANNET_MINI = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-mini")


@pytest.mark.parametrize("check", CHECKS)
def test_against_pointcept(check):
    if check in NEEDS_SCANS and not os.path.isdir(os.path.join(SCANNET_MINI, "train")):
        pytest.skip(f"the real sample scans are not at {SCANNET_MINI}")
    env = dict(
        os.environ,
        POINTCEPT_CSP_HOST="pointcept",
        OMP_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join([ROOT, POINTCEPT_ROOT]),
        POINTCEPT_ROOT=POINTCEPT_ROOT,
    )
    proc = subprocess.run(
        [PYTHON, "tests/integration/pointcept_checks.py", check],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0 and f"OK {check}" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
