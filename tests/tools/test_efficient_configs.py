"""The data-efficient configs: the full-width ones point where Pointcept's efficient configs do and train under the
standalone host (tests/integration runs every config's train and test stages under Pointcept); the rooms variants take
their steps on the real rooms with task files from tools/data_efficient.py."""

import os

import numpy as np
import pytest

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.datasets.synthetic import write_rooms
from pointcept_csp.utils.data_efficient import draw_labelled_points, write_la_file, write_lr_file
from tests.helpers.common import ROOT, run_tool

POINTCEPT_CONFIGS = os.path.join(os.path.dirname(ROOT), "shared", "pointcept", "configs", "scannet")
ROOMS = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-rooms")
TASKS = [("la", n, "la_file") for n in (20, 50, 100, 200)] + [("lr", p, "lr_file") for p in (1, 5, 10, 20)]


@pytest.mark.skipif(not os.path.isdir(POINTCEPT_CONFIGS), reason=f"no Pointcept configs at {POINTCEPT_CONFIGS}")
@pytest.mark.parametrize(("kind", "count", "key"), TASKS, ids=[f"{k}{n}" for k, n, _ in TASKS])
def test_task_file_paths_are_pointcepts(kind, count, key):
    ours = host.load_config(os.path.join(ROOT, "configs", "scannet", f"semseg-pointcsp-v1m1-0-{kind}{count}.py"))
    theirs = host.load_config(os.path.join(POINTCEPT_CONFIGS, f"semseg-spunet-v1m1-2-efficient-{kind}{count}.py"))
    assert ours.data.train[key] == theirs.data.train[key]
    assert ours.data.train.data_root == theirs.data.train.data_root
    assert "la_file" not in ours.data.val and "lr_file" not in ours.data.val  # evaluation sees every label


TINY = {
    "model.backbone.enc_depths": (1,) * 5,
    "model.backbone.enc_channels": (16,) * 5,
    "model.backbone.enc_num_head": (1,) * 5,
    "model.backbone.dec_depths": (1,) * 4,
    "model.backbone.dec_channels": (16,) * 4,
    "model.backbone.dec_num_head": (1,) * 4,
    "model.backbone.mlp_ratio": 1,
    "model.backbone_out_channels": 16,
}


@pytest.mark.skipif(host.NAME != "standalone", reason="the standalone host's trainer")
@pytest.mark.parametrize("name", ["semseg-pointcsp-v1m1-0-la20", "semseg-pointcsp-v1m1-0-lr1"])
def test_full_width_config_trains_an_epoch(tmp_path, name):
    root = str(tmp_path / "scannet")
    write_rooms(root, "scannet", {"train": [1, 2], "val": [3]}, density=20)
    scenes = sorted(os.listdir(os.path.join(root, "train")))
    options = dict(
        TINY,
        save_path=str(tmp_path / "exp"),
        epoch=1,
        eval_epoch=1,
        batch_size=1,
        num_worker=0,
        enable_amp=False,
        **{f"data.{s}.data_root": root for s in ("train", "val", "test")},
    )
    if "la" in name:
        rng = np.random.default_rng(0)
        labelled = {
            n: draw_labelled_points(np.load(os.path.join(root, "train", n, "segment20.npy")), 20, rng) for n in scenes
        }
        options["data.train.la_file"] = str(tmp_path / "points20")
        write_la_file(labelled, options["data.train.la_file"])
    else:
        options["data.train.lr_file"] = str(tmp_path / "1.txt")
        write_lr_file(scenes, options["data.train.lr_file"])
    cfg = host.default_setup(
        host.default_config_parser(os.path.join(ROOT, "configs", "scannet", name + ".py"), options)
    )
    host.TRAINERS.build(dict(type=cfg.train.type, cfg=cfg)).train()
    log = open(os.path.join(cfg.save_path, "train.log")).read()
    assert "Val result: mIoU" in log and os.path.isfile(os.path.join(cfg.save_path, "model", "model_last.pth"))


@pytest.mark.skipif(not os.path.isdir(ROOMS), reason=f"real sample rooms not found at {ROOMS}")
@pytest.mark.parametrize(("name", "task"), [("rooms-la20", "--points"), ("rooms-lr1", "--rooms")])
def test_rooms_config_trains_on_its_task_file(tmp_path, name, task):
    tasks = str(tmp_path / "tasks")
    run_tool("tools/data_efficient.py", "--data-root", ROOMS, task, "20" if task == "--points" else "1", "--out", tasks)
    file = (
        os.path.join(tasks, "points", "points20") if task == "--points" else os.path.join(tasks, "scenes", "rooms1.txt")
    )
    key = "la_file" if task == "--points" else "lr_file"
    save = str(tmp_path / name)
    run_tool(
        "tools/train.py",
        "--config-file",
        f"configs/scannet/semseg-pointcsp-v1m1-0-{name}.py",
        "--options",
        f"save_path={save}",
        f"data.train.{key}={file}",
        "epoch=1",
        "eval_epoch=1",
        "num_worker=0",
        f"batch_size={4 if key == 'la_file' else 2}",
    )  # 10 scans: 2 steps; one room's 1-3 scans: 1 step
    log = open(os.path.join(save, "train.log")).read()
    assert "loss_spd" in log and "Val result: mIoU" in log
