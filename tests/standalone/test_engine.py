"""The standalone engine end to end through tools/train.py: hook order, learning, checkpoint, crash and resume."""

import json
import os
import re

import torch

from tests.helpers.common import run_tool

TOY_CFG = "tests/fixtures/configs/toy.py"


def train(save_path, *options, check=True):
    calls = os.path.join(save_path, "hook_calls.jsonl")
    proc = run_tool(
        "tools/train.py",
        "--config-file",
        TOY_CFG,
        "--options",
        f"save_path={save_path}",
        f"hooks.5.path={calls}",
        *options,
        check=check,
    )
    with open(calls) as f:
        return proc, [json.loads(line) for line in f]


def logged_losses(save_path):
    with open(os.path.join(save_path, "train.log")) as f:
        return [float(m) for m in re.findall(r"Train: .*? loss: ([0-9.]+)", f.read())]


def test_hook_order_loss_decrease_and_checkpoints(tmp_path):
    save = str(tmp_path / "run")
    _, calls = train(save)
    stages = [c["stage"] for c in calls]
    # Pointcept's order: before_train, per epoch (before_epoch, (before_step, after_step)*, after_epoch), after_train
    one_epoch = ["before_epoch"] + ["before_step", "after_step"] * 4 + ["after_epoch"]  # 8 samples, batch 2
    assert stages == ["before_train"] + one_epoch * 4 + ["after_train"]
    losses = logged_losses(save)
    assert len(losses) == 16
    assert sum(losses[-4:]) < 0.7 * sum(losses[:4]), losses
    assert os.path.isfile(os.path.join(save, "model", "model_best.pth"))
    assert torch.load(os.path.join(save, "model", "model_last.pth"), weights_only=True)["epoch"] == 4


def test_crash_then_resume_matches_uninterrupted_run(tmp_path):
    reference = str(tmp_path / "reference")
    train(reference)
    crashed = str(tmp_path / "crashed")
    proc, _ = train(crashed, "hooks.5.fail_at_epoch=2", check=False)
    assert proc.returncode != 0 and "simulated crash at epoch 2" in proc.stderr
    last = os.path.join(crashed, "model", "model_last.pth")
    saved = torch.load(last, weights_only=True)
    assert saved["epoch"] == 2

    _, calls = train(crashed, "resume=true", f"weight={last}")
    assert sorted({c["epoch"] for c in calls if c["stage"] == "before_epoch"}) == [2, 3]
    with open(os.path.join(crashed, "train.log")) as f:
        assert "Resuming training at epoch 2" in f.read()
    final = torch.load(last, weights_only=True)
    ref = torch.load(os.path.join(reference, "model", "model_last.pth"), weights_only=True)
    assert final["optimizer"]["state"][0]["step"] == ref["optimizer"]["state"][0]["step"] == 16
    for key, value in ref["state_dict"].items():
        torch.testing.assert_close(final["state_dict"][key], value, atol=1e-7, rtol=0, msg=key)
    # the resumed run's losses continue exactly where the reference run's are
    assert logged_losses(crashed)[-8:] == logged_losses(reference)[-8:]


def test_a_model_with_a_teacher_refuses_missing_or_misplaced_hooks(tmp_path):
    """SPD with a teacher needs ModelProgress, TeacherEMA and SyncTeacher after CheckpointLoader: the trainer refuses
    the config otherwise (before, a config without TeacherEMA trained against a frozen teacher); plain fine-tuning
    (no teacher) needs none of them."""
    import pytest

    import pointcept_csp  # noqa: F401
    from pointcept_csp import host
    from pointcept_csp.engines.hooks import check_teacher_hooks

    spd = host.build_model(
        dict(type="SPD-Segmentor-v1m1", num_classes=3, backbone=dict(type="PointCSP-SSM-v1m1-test", in_channels=6))
    )
    plain = host.build_model(
        dict(
            type="SPD-Segmentor-v1m1",
            num_classes=3,
            spd=False,
            backbone=dict(type="PointCSP-SSM-v1m1-test", in_channels=6),
        )
    )
    good = ["CheckpointLoader", "SyncTeacher", "ModelProgress", "InformationWriter", "TeacherEMA", "CheckpointSaver"]
    check_teacher_hooks(good, spd)
    check_teacher_hooks(["CheckpointLoader", "CheckpointSaver"], plain)
    with pytest.raises(ValueError, match=r"need \['TeacherEMA'\]"):
        check_teacher_hooks([h for h in good if h != "TeacherEMA"], spd)
    with pytest.raises(ValueError, match="SyncTeacher must come after CheckpointLoader"):
        check_teacher_hooks(["SyncTeacher", "CheckpointLoader", "ModelProgress", "TeacherEMA"], spd)
    # the trainer applies it: the tiny S3DIS config without its TeacherEMA hook does not start
    from pointcept_csp.datasets.synthetic import write_rooms

    root = str(tmp_path / "s3dis")
    write_rooms(root, "s3dis", {f"Area_{i}": [i] for i in range(1, 7)}, density=20)
    proc = run_tool(
        "tools/train.py",
        "--config-file",
        "configs/s3dis/pointcsp-tiny.py",
        "--options",
        f"save_path={tmp_path / 'exp'}",
        *(f"data.{split}.data_root={root}" for split in ("train", "val", "test")),
        "hooks=[{'type':'CheckpointLoader'},{'type':'SyncTeacher'},{'type':'ModelProgress'}]",
        check=False,
    )
    assert proc.returncode != 0 and "need ['TeacherEMA']" in proc.stdout + proc.stderr
