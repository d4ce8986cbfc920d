"""The standalone host's ScanNetDataset reads the data-efficient benchmark's `la_file` / `lr_file` as Pointcept's
does (the same checks run under Pointcept in tests/integration), and names what is wrong with a bad file."""

import numpy as np
import pytest
import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.utils.data_efficient import write_la_file, write_lr_file
from tests.helpers import limited_labels

pytestmark = pytest.mark.skipif(host.NAME != "standalone", reason="the standalone host's dataset")


@pytest.fixture(scope="module")
def task_data(tmp_path_factory):
    return limited_labels.write_task_data(str(tmp_path_factory.mktemp("efficient")))


def test_labels_only_at_listed_points(task_data):
    data_root, la_file, _ = task_data
    limited_labels.check_labels_only_at_listed_points(data_root, la_file)


def test_random_subsampling_keeps_every_labelled_point(task_data):
    data_root, la_file, _ = task_data
    limited_labels.check_subsampling_keeps_every_listed_point(data_root, la_file)


def test_only_listed_scenes_are_read(task_data):
    data_root, _, lr_file = task_data
    limited_labels.check_only_listed_scenes(data_root, lr_file)


def test_labels_reach_the_loss_only_at_listed_points(task_data):
    """The segmentor's task loss is the same with the full labels masked outside the listed points as with the
    LA dataset's labels, and differs from the loss on every label."""
    data_root, la_file, _ = task_data
    limited = host.build_dataset(dict(type="ScanNetDataset", split="train", data_root=data_root, la_file=la_file))
    full = host.build_dataset(dict(type="ScanNetDataset", split="train", data_root=data_root))
    model = host.build_model(
        dict(
            type="SPD-Segmentor-v1m1",
            num_classes=20,
            backbone_out_channels=8,
            spd=False,
            backbone=dict(type="SpUNet-native-v1m1", in_channels=6, channels=(8, 8), dec_channels=(8,)),
        )
    )
    torch.manual_seed(0)
    logits = torch.randn(len(full.get_data(0)["segment"]), 20)
    segment_la = torch.as_tensor(limited.get_data(0)["segment"]).long()
    segment_all = torch.as_tensor(full.get_data(0)["segment"]).long()
    listed = segment_la != -1
    masked = torch.where(listed, segment_all, torch.full_like(segment_all, -1))
    assert torch.equal(model.task_loss(logits, segment_la), model.task_loss(logits, masked))
    assert not torch.allclose(model.task_loss(logits, segment_la), model.task_loss(logits, segment_all))
    assert model.task_loss(logits, torch.full_like(segment_all, -1)).item() == 0.0  # a crop with no label: 0, not NaN


def test_bad_task_files_are_named(task_data, tmp_path):
    data_root, la_file, _ = task_data
    write_lr_file(["scene0001_00", "scene0009_00"], str(tmp_path / "unknown.txt"))
    with pytest.raises(FileNotFoundError, match=r"lacks: \['scene0009_00'\]"):
        host.build_dataset(dict(type="ScanNetDataset", data_root=data_root, lr_file=str(tmp_path / "unknown.txt")))
    write_la_file({"scene0001_00": np.array([0])}, str(tmp_path / "partial"))
    dataset = host.build_dataset(dict(type="ScanNetDataset", data_root=data_root, la_file=str(tmp_path / "partial")))
    with pytest.raises(KeyError, match="no entry for scene 'scene0002_00'"):
        dataset.get_data(1)
    write_la_file({f"scene{s:04d}_00": np.array([10**7]) for s in (1, 2, 3)}, str(tmp_path / "beyond"))
    dataset = host.build_dataset(dict(type="ScanNetDataset", data_root=data_root, la_file=str(tmp_path / "beyond")))
    with pytest.raises(ValueError, match="lists point index 10000000"):
        dataset.get_data(0)
    torch.save(["not", "a", "dict"], str(tmp_path / "list"))
    with pytest.raises(ValueError, match="non-empty dict"):
        host.build_dataset(dict(type="ScanNetDataset", data_root=data_root, la_file=str(tmp_path / "list")))
