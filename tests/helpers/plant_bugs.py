"""Plant one bug at a time in the GPU adapters and show that the adapter tests catch each (a mutation check; not
part of the suite, ~4 minutes):

    OMP_NUM_THREADS=1 .venv/bin/python -m tests.helpers.plant_bugs

Each mutation edits a copy of the package in a temporary folder, runs the adapter tests there (fla under Triton's
interpreter, spconv's CPU build) and prints which tests failed; a mutation that no test catches exits non-zero.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLA_TESTS = "tests/ops/test_fla_kernels.py"
SPCONV_TESTS = "tests/ops/test_spconv_cpu.py"
GDR = "pointcept_csp/ops/gated_delta/fla.py"
SSD = "pointcept_csp/ops/ssd/gpu.py"
SPCONV = "pointcept_csp/ops/sparse_spconv.py"

# (name, file, text, replacement, tests)
MUTATIONS = [
    (
        "gated delta: q and k swapped",
        GDR,
        "        q,\n        k,\n        v,\n",
        "        k,\n        q,\n        v,\n",
        FLA_TESTS,
    ),
    (
        "gated delta: cu_seqlens dropped",
        GDR,
        "cu_seqlens=None if cu_seqlens is None else cu_seqlens.long()",
        "cu_seqlens=None",
        FLA_TESTS,
    ),
    ("gated delta: decay sign flipped", GDR, "        g.float(),\n", "        -g.float(),\n", FLA_TESTS),
    ("gated delta: scale dropped", GDR, "        scale=scale,\n", "        scale=None,\n", FLA_TESTS),
    (
        "ssd: queries and keys swapped",
        SSD,
        "        queries,\n        keys,\n",
        "        keys,\n        queries,\n",
        FLA_TESTS,
    ),
    (
        "ssd: cu_seqlens dropped",
        SSD,
        "cu_seqlens=None if cu_seqlens is None else cu_seqlens.long()",
        "cu_seqlens=None",
        FLA_TESTS,
    ),
    ("ssd: decay sign flipped", SSD, "g=(dt * A).float()", "g=(-dt * A).float()", FLA_TESTS),
    (
        "ssd: state not transposed",
        SSD,
        "final.transpose(-1, -2) if output_final_state",
        "final if output_final_state",
        FLA_TESTS,
    ),
    ("spconv: kernel axes transposed", SPCONV, ".permute(4, 0, 1, 2, 3)", ".permute(4, 2, 1, 0, 3)", SPCONV_TESTS),
]


def run_mutation(name: str, path: str, text: str, replacement: str, tests: str) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        for item in ("pointcept_csp", "tests", "configs", "pytest.ini"):
            src = os.path.join(ROOT, item)
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(tmp, item))
        target = os.path.join(tmp, path)
        with open(target) as f:
            source = f.read()
        if source.count(text) != 1:
            raise SystemExit(f"{name}: expected the text once in {path}, found it {source.count(text)} times")
        with open(target, "w") as f:
            f.write(source.replace(text, replacement))
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=tmp)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rf", tests],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
        )
        return re.findall(r"^FAILED \S+::(\S+)", proc.stdout, re.M)


def main() -> None:
    uncaught = []
    for name, *mutation in MUTATIONS:
        failed = run_mutation(name, *mutation)
        print(f"{name}: {len(failed)} failed" + (f" ({', '.join(failed)})" if failed else " -- NOT CAUGHT"), flush=True)
        if not failed:
            uncaught.append(name)
    sys.exit(1 if uncaught else 0)


if __name__ == "__main__":
    main()
