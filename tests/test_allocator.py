"""CPU runs keep freed buffers (utils/allocator.py): a freed 256 MiB tensor stays resident for reuse instead of being
unmapped, unless the user opts out."""

import os
import subprocess
import sys

import pytest

from tests._utils import ROOT

PROBE = """
import torch
from pointcept_csp.utils.allocator import keep_freed_memory

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

applied = keep_freed_memory()
x = torch.ones(64 * 2**20)  # 256 MiB, touched
before = rss_mib()
del x
print(applied, before - rss_mib())
"""


def run_probe(**env):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    applied, released = proc.stdout.split()
    return applied == "True", float(released)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_buffers_stay_resident_unless_opted_out():
    applied, released = run_probe()
    assert applied
    assert released < 32, f"{released:.0f} MiB went back to the OS after the free"
    applied, released = run_probe(POINTCEPT_CSP_MALLOC="default")
    assert not applied
    assert released > 200, f"glibc's default should unmap the 256 MiB buffer, released {released:.0f} MiB"


TRAINER_PROBE = """
import sys, torch
from pointcept_csp import host

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

cfg = host.default_setup(host.default_config_parser("tests/fixtures/configs/toy.py", {"save_path": sys.argv[1]}))
host.TRAINERS.build(dict(type=cfg.train.type, cfg=cfg))  # what any host's train.py does
x = torch.ones(64 * 2**20)
before = rss_mib()
del x
print(before - rss_mib())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_csp_trainer_keeps_freed_buffers_under_any_train_script(tmp_path):
    """CSPTrainer applies the setting itself, so Pointcept's tools/train.py gets it too, not only ours."""
    proc = subprocess.run(
        [sys.executable, "-c", TRAINER_PROBE, str(tmp_path)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    released = float(proc.stdout.split()[-1])
    assert released < 32, f"{released:.0f} MiB went back to the OS after the free"
