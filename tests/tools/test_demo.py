"""The README's main command in its quick mode: all phases run and the report holds finite numbers."""

import math
import os
import re

from tests.helpers.common import run_tool


def test_quick_demo_produces_a_report(tmp_path):
    exp = os.path.relpath(str(tmp_path / "demo"), os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    proc = run_tool("tools/demo.py", "--quick", "--exp", exp, timeout=900)
    for phase in ("[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"):
        assert phase in proc.stdout
    with open(os.path.join(str(tmp_path / "demo"), "report.md")) as f:
        report = f.read()
    miou = float(re.search(r"^mIoU ([0-9.]+)", report, re.M).group(1))
    baseline = float(re.search(r"majority-class baseline .*: mIoU ([0-9.]+)", report).group(1))
    assert math.isfinite(miou) and 0.0 <= miou <= 100.0 and 0.0 < baseline < 100.0
    assert "| wall |" in report and "time per phase" in report
    events = [f for f in os.listdir(str(tmp_path / "demo" / "spd")) if f.startswith("events.out.tfevents")]
    assert events, "TensorBoard event files are written"
