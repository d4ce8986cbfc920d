"""CPU allocator policies (utils/allocator.py): under "keep" a freed 256 MiB tensor stays resident for reuse instead of
being unmapped, unless the user opts out; under "lean" a freed 4 MiB buffer goes back to the OS even after glibc's
dynamic threshold would have moved it onto the heap."""

import os
import subprocess
import sys

import pytest

from tests.helpers.common import ROOT

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

options = {"save_path": sys.argv[1], **({"cpu_allocator": sys.argv[2]} if len(sys.argv) > 2 else {})}
cfg = host.default_setup(host.default_config_parser("tests/fixtures/configs/toy.py", options))
host.TRAINERS.build(dict(type=cfg.train.type, cfg=cfg))  # what any host's train.py does
x = torch.ones(64 * 2**20)
before = rss_mib()
del x
print(before - rss_mib())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
@pytest.mark.parametrize("policy", [None, "lean"])
def test_csp_trainer_applies_the_allocator_policy_under_any_train_script(tmp_path, policy):
    """CSPTrainer applies the setting itself, so Pointcept's tools/train.py gets it too, not only ours: by default
    freed buffers stay; with `cpu_allocator="lean"` in the config they go back."""
    proc = subprocess.run(
        [sys.executable, "-c", TRAINER_PROBE, str(tmp_path), *([policy] if policy else [])],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    released = float(proc.stdout.split()[-1])
    if policy is None:
        assert released < 32, f"{released:.0f} MiB went back to the OS after the free"
    else:
        assert released > 200, f"lean: only {released:.0f} MiB of the 256 MiB buffer went back to the OS"


LEAN_PROBE = """
import sys, torch
from pointcept_csp.utils.allocator import apply_cpu_allocator

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

print(apply_cpu_allocator(sys.argv[1]))
x = torch.ones(4 * 2**20)  # 16 MiB, freed: glibc's dynamic threshold rises to 16 MiB
del x
y = torch.ones(2**20)  # 4 MiB, touched: an mmap of its own only with a fixed threshold
before = rss_mib()
del y
print(before - rss_mib())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_lean_policy_returns_mid_size_buffers_and_bad_policies_raise():
    def released(policy, **env):
        proc = subprocess.run(
            [sys.executable, "-c", LEAN_PROBE, policy],
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", **env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return proc.returncode, proc.stdout.split(), proc.stderr

    rc, (applied, mib), _ = released("lean")
    assert rc == 0 and applied == "lean" and float(mib) > 3.5, (applied, mib)
    rc, (applied, mib), _ = released("default")
    assert applied == "None" and float(mib) < 1, f"glibc's default kept the 4 MiB buffer on the heap? {mib}"
    rc, _, err = released("lean", POINTCEPT_CSP_MALLOC="fast")
    assert rc != 0 and "must be one of" in err
