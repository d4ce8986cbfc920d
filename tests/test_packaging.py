"""The `cu120` extra installs from wheels alone: pip resolves it (with every dependency, torch pinned to the one
installed) under `--only-binary=:all:`, so `pip install -e .[cu120]` needs no compiler. Needs the package index
that tools/test.sh installs from."""

import ast
import json
import os
import subprocess
import sys

import torch

from tests.helpers.common import ROOT


def extras_require() -> dict[str, list[str]]:
    """setup.py's `extras_require`, read without running setup()."""
    tree = ast.parse(open(os.path.join(ROOT, "setup.py")).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "extras_require":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no extras_require")


def test_cu120_extra_resolves_to_wheels_only(tmp_path):
    extras = extras_require()
    assert not any(req.startswith("mamba-ssm") for req in extras["cu120"]), "mamba-ssm compiles: keep it in [mamba]"
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--only-binary=:all:"]
    cmd += ["--disable-pip-version-check", "--report", str(report), f"torch=={torch.__version__}", *extras["cu120"]]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"the cu120 extra needs a source build:\n{proc.stderr[-3000:]}"
    installs = json.loads(report.read_text())["install"]
    names = {item["metadata"]["name"].lower() for item in installs}
    assert {"spconv-cu120", "fla-core"} <= names
    built = [item["download_info"]["url"] for item in installs if not item["download_info"]["url"].endswith(".whl")]
    assert built == [], f"not wheels: {built}"
