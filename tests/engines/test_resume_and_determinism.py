"""Long-run safety on the real pre-training model: a run crashed mid-way and resumed ends with the same student,
teacher, centre and losses as an uninterrupted run; the same seed gives the same losses."""

import os
import re

import pytest
import torch

from pointcept_csp.datasets.synthetic import write_rooms
from tests.helpers.common import run_tool

CFG = "tests/fixtures/configs/demo_pretrain_resume.py"


def train(save, root, *options, check=True):
    return run_tool(
        "tools/train.py",
        "--config-file",
        CFG,
        "--options",
        f"save_path={save}",
        f"data.train.data_root={root}",
        "data.train.transform.1.global_max_points=800",
        "data.train.transform.1.local_max_points=300",
        f"hooks.7.path={os.path.join(save, 'calls.jsonl')}",
        *options,
        check=check,
    )


def losses(save):
    with open(os.path.join(save, "train.log")) as f:
        return [float(v) for v in re.findall(r"Train: .*? loss: ([0-9.]+)", f.read())]


@pytest.mark.slow(fast="tests/standalone/test_engine.py::test_crash_then_resume_matches_uninterrupted_run")
def test_crash_and_resume_equals_uninterrupted_run(tmp_path):
    root = str(tmp_path / "rooms")
    write_rooms(root, "scannet", {"train": [1, 2, 3, 4]}, density=40)
    reference = str(tmp_path / "reference")
    train(reference, root)
    again = str(tmp_path / "again")
    train(again, root)
    assert losses(again) == losses(reference) and len(losses(reference)) == 8  # same seed, same losses (log: 4 dp)

    crashed = str(tmp_path / "crashed")
    proc = train(crashed, root, "hooks.7.fail_at_epoch=2", check=False)
    assert proc.returncode != 0 and "simulated crash at epoch 2" in proc.stderr
    last = os.path.join(crashed, "model", "model_last.pth")
    train(crashed, root, "resume=true", f"weight={last}")
    assert losses(crashed)[-4:] == losses(reference)[-4:]
    final = torch.load(last, weights_only=True)
    ref = torch.load(os.path.join(reference, "model", "model_last.pth"), weights_only=True)
    assert final["epoch"] == ref["epoch"] == 4
    for key, value in ref["state_dict"].items():  # student, teacher, heads, DINO centre
        torch.testing.assert_close(final["state_dict"][key], value, atol=1e-6, rtol=0, msg=key)
    assert any(k.startswith("teacher.") for k in ref["state_dict"]) and "center" in ref["state_dict"]
