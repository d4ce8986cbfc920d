"""The S3DIS config's tiny CPU variant end to end: export a backbone, SPD fine-tune on synthetic S3DIS-layout rooms
through tools/train.py (weight= + SyncTeacher), evaluate, then tools/test.py writes per-scene predictions."""

import json
import os
import re

import numpy as np
import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.datasets.synthetic import write_rooms
from tests.helpers.common import run_tool

TINY = "configs/s3dis/pointcsp-tiny.py"
PRETRAIN_TINY = "configs/scannet/pretrain-pointcsp-v1m1-0-tiny.py"


def test_tiny_s3dis_finetune_evaluate_and_test(tmp_path):
    root = str(tmp_path / "s3dis")
    write_rooms(
        root,
        "s3dis",
        {"Area_1": [11], "Area_2": [12], "Area_3": [13], "Area_4": [14], "Area_6": [16], "Area_5": [15, 17]},
        density=50,
    )
    # a pre-training checkpoint of the tiny architecture (untrained: this test is about the plumbing)
    pre_cfg = host.load_config(PRETRAIN_TINY)
    pre = host.build_model(pre_cfg.model)
    ckpt = str(tmp_path / "pre.pth")
    torch.save({"epoch": 1, "state_dict": pre.state_dict(), "config": pre_cfg.model.to_dict()}, ckpt)
    exported = str(tmp_path / "backbone.pth")
    run_tool("tools/export_backbone.py", ckpt, exported)

    save = str(tmp_path / "ft")
    roots = [f"data.{s}.data_root={root}" for s in ("train", "val", "test")]
    run_tool("tools/train.py", "--config-file", TINY, "--options", f"save_path={save}", f"weight={exported}", *roots)
    with open(os.path.join(save, "train.log")) as f:
        log = f.read()
    assert "Loaded weight" in log and "Val result: mIoU" in log
    missing = re.search(r"Loaded weight .*missing keys: \[(.*?)\]; unexpected", log).group(1)
    assert "'backbone." not in missing and "'seg_head." in missing  # every student tensor came from the export
    best = os.path.join(save, "model", "model_best.pth")
    state = torch.load(best, weights_only=True)["state_dict"]
    # the teacher started as the loaded student (SyncTeacher) and then only moved by EMA: close to the student
    diffs = [
        (state[f"teacher.{k[len('backbone.') :]}"] - v).abs().max().item()
        for k, v in state.items()
        if k.startswith("backbone.") and v.dtype.is_floating_point
    ]
    assert max(diffs) < 0.05

    run_tool(
        "tools/test.py",
        "--config-file",
        os.path.join(save, "config.py"),
        "--options",
        f"save_path={save}",
        f"weight={best}",
    )
    result = os.path.join(save, "result")
    for name in ("Area_5-room_15", "Area_5-room_17"):
        pred = np.load(os.path.join(result, f"{name}_pred.npy"))
        gt = np.load(os.path.join(root, "Area_5", name.split("-")[1], "segment.npy"))
        assert pred.shape == gt.shape and pred.min() >= 0 and pred.max() < 10
    with open(os.path.join(result, "metrics.json")) as f:
        metrics = json.load(f)
    assert 0.0 <= metrics["mIoU"] <= 1.0 and len(metrics["intersection"]) == 10
