"""The real-rooms configs (#22) take their steps on ../shared/data/scannet-rooms under the standalone host (the
Pointcept host runs every config in tests/integration): CSP pre-training on the train rooms, then plain and SPD
fine-tuning from it, evaluated on the val rooms."""

import os

import pytest

from tests.helpers.common import ROOT, run_tool

ROOMS = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-rooms")
pytestmark = pytest.mark.skipif(not os.path.isdir(ROOMS), reason=f"real sample rooms not found at {ROOMS}")


@pytest.mark.slow(fast="tests/tools/test_efficient_configs.py::test_rooms_config_trains_on_its_task_file")
def test_pretrain_then_plain_and_spd_finetune_on_real_rooms(tmp_path):
    short = ["epoch=1", "eval_epoch=1", "num_worker=0"]
    pre = str(tmp_path / "pre")
    run_tool(
        "tools/train.py",
        "--config-file",
        "configs/scannet/pretrain-pointcsp-v1m1-0-rooms.py",
        "--options",
        f"save_path={pre}",
        *short,
    )
    weight = os.path.join(pre, "model", "model_last.pth")
    for name in ("semseg-pointcsp-v1m1-0-rooms", "semseg-pointcsp-v1m1-0-rooms-plain"):
        save = str(tmp_path / name)
        run_tool(
            "tools/train.py",
            "--config-file",
            f"configs/scannet/{name}.py",
            "--options",
            f"save_path={save}",
            f"weight={weight}",
            *short,
        )
        log = open(os.path.join(save, "train.log")).read()
        assert ("loss_spd" in log) == (not name.endswith("plain")), name
        assert "Val result: mIoU" in log and os.path.isfile(os.path.join(save, "model", "model_last.pth"))
        # the per-class lines cover all 20 classes; the mean is over the 10 shared ones (tests/utils/test_metrics.py)
        assert log.count("Result: iou/accuracy") == 20


@pytest.mark.parametrize("name", ["semseg-spunet-native-v1m1-0-rooms", "semseg-spunet-native-v1m1-0-rooms-plain"])
def test_sparse_unet_trains_from_scratch_on_real_rooms(tmp_path, name):
    """SPD plug-and-play (the paper's CamPoint + SPD row): the sparse-conv U-Net, no pre-training, SPD or plain."""
    save = str(tmp_path / name)
    options = [f"save_path={save}", "epoch=1", "eval_epoch=1", "num_worker=0"]
    run_tool("tools/train.py", "--config-file", f"configs/scannet/{name}.py", "--options", *options)
    log = open(os.path.join(save, "train.log")).read()
    assert "SparseUNet" in log or "SpUNet" in log
    assert ("loss_spd" in log) == (not name.endswith("plain")), name
    assert "Val result: mIoU" in log
