"""The object configs (ScanObjectNN, ModelNet40, ShapeNetPart) train and test end to end on the standalone host,
on small generated data written in each dataset's own on-disk layout (read by the standalone readers under
Pointcept's names)."""

import json
import os

import pytest

from pointcept_csp import host
from pointcept_csp.datasets.synthetic_objects import write_objects
from tests.helpers.common import run_tool

SHAPENET_CATEGORIES = ["Airplane", "Bag", "Cap", "Car", "Chair", "Earphone", "Guitar", "Knife", "Lamp", "Laptop",
                       "Motorbike", "Mug", "Pistol", "Rocket", "Skateboard", "Table"]  # fmt: skip
SLOW = pytest.mark.slow(fast="tests/tools/test_object_configs.py::test_object_config_trains_and_tests[scanobjectnn]")
CASES = [
    pytest.param("configs/scanobjectnn/cls-pointcsp-v1m1-0-spd-ft.py", "scanobjectnn", "allAcc", id="scanobjectnn"),
    pytest.param("configs/modelnet40/cls-pointcsp-v1m1-0-spd-ft.py", "modelnet", "allAcc", id="modelnet40", marks=SLOW),
    pytest.param(
        "configs/shapenetpart/partseg-pointcsp-v1m1-0-spd-ft.py",
        "shapenetpart",
        "ins_mIoU",
        id="shapenetpart",
        marks=SLOW,
    ),
]


@pytest.mark.parametrize("config, layout, metric", CASES)
def test_object_config_trains_and_tests(tmp_path, config, layout, metric):
    if layout == "scanobjectnn":
        pytest.importorskip("h5py")
    cfg = host.load_config(config)
    names = list(cfg.data.names) if "names" in cfg.data else SHAPENET_CATEGORIES
    root, save = str(tmp_path / "data"), str(tmp_path / "exp")
    splits = {"train": [1, 2, 3, 4], "test": [5, 6]} | ({"val": [7]} if layout == "shapenetpart" else {})
    write_objects(root, layout, splits, names, num_points=200)
    roots = [f"data.{s}.data_root={root}" for s in ("train", "val", "test")]
    small = ["epoch=1", "eval_epoch=1", "batch_size=2", "num_worker=0", "seed=0"]
    run_tool("tools/train.py", "--config-file", config, "--options", f"save_path={save}", *roots, *small)
    weight = os.path.join(save, "model", "model_last.pth")
    run_tool("tools/test.py", "--config-file", config, "--options", f"save_path={save}", f"weight={weight}", *roots)
    with open(os.path.join(save, "result", "metrics.json")) as f:
        value = json.load(f)[metric]
    assert 0.0 <= value <= 1.0
