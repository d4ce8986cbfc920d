"""The data-efficient protocol checked through the active host's ScanNetDataset and transforms (the standalone
host's in tests/standalone/test_limited_labels.py, Pointcept's own in tests/integration/pointcept_checks.py): labels
survive only at the listed points, a random subsample keeps every listed point, only the listed scenes are read."""

from __future__ import annotations

import os

import numpy as np

from pointcept_csp import host
from pointcept_csp.datasets.synthetic import write_rooms
from pointcept_csp.utils.data_efficient import draw_labelled_points, write_la_file, write_lr_file

TRAIN_SEEDS = (1, 2, 3)  # scene0001_00, scene0002_00, scene0003_00
LISTED = ["scene0001_00", "scene0003_00"]
# the training pipeline's random subsampling (GridSample keeps one point per voxel, RandomDropout half of them)
SUBSAMPLING = [
    dict(type="RandomDropout", dropout_ratio=0.5, dropout_application_ratio=1.0),
    dict(type="GridSample", grid_size=0.1, hash_type="fnv", mode="train", return_grid_coord=True),
]


def write_task_data(root: str, points: int = 20) -> tuple[str, str, str]:
    """Synthetic ScanNet-layout rooms with an LA file (`points` per train scene) and an LR file (2 of 3 scenes)."""
    data_root = os.path.join(root, "data")
    write_rooms(data_root, "scannet", {"train": list(TRAIN_SEEDS), "val": [4]}, density=20)
    rng = np.random.default_rng(0)
    labelled = {}
    for seed in TRAIN_SEEDS:
        name = f"scene{seed:04d}_00"
        labelled[name] = draw_labelled_points(
            np.load(os.path.join(data_root, "train", name, "segment20.npy")), points, rng
        )
    la_file, lr_file = os.path.join(root, "points", f"points{points}"), os.path.join(root, "scenes", "1.txt")
    write_la_file(labelled, la_file)
    write_lr_file(LISTED, lr_file)
    return data_root, la_file, lr_file


def labels_of(dataset, idx: int) -> np.ndarray:
    return np.asarray(dataset.get_data(idx)["segment"])


def check_labels_only_at_listed_points(data_root: str, la_file: str) -> None:
    dataset = host.build_dataset(dict(type="ScanNetDataset", split="train", data_root=data_root, la_file=la_file))
    import torch

    listed = {k: np.asarray(v) for k, v in torch.load(la_file, weights_only=True).items()}
    for idx in range(len(dataset)):
        data = dataset.get_data(idx)
        full = np.load(os.path.join(data_root, "train", data["name"], "segment20.npy")).astype(np.int64)
        expected = np.full_like(full, -1)
        expected[listed[data["name"]]] = full[listed[data["name"]]]
        assert np.array_equal(np.asarray(data["segment"]), expected), data["name"]
        assert (expected != -1).sum() == 20, data["name"]


def check_subsampling_keeps_every_listed_point(data_root: str, la_file: str) -> None:
    """After the random subsampling the labelled points are exactly the listed ones, at their own coordinates."""
    dataset = host.build_dataset(
        dict(type="ScanNetDataset", split="train", data_root=data_root, la_file=la_file, transform=SUBSAMPLING)
    )
    raw = host.build_dataset(dict(type="ScanNetDataset", split="train", data_root=data_root, la_file=la_file))
    np.random.seed(0)
    for idx in range(len(dataset)):
        before, after = raw.get_data(idx), dataset[idx]
        assert len(after["coord"]) < len(before["coord"]) / 2, "the subsampling must drop points for this check"
        kept = np.asarray(after["segment"]) != -1
        listed = np.asarray(before["segment"]) != -1
        assert kept.sum() == listed.sum(), (after["name"], kept.sum(), listed.sum())
        order = lambda c: c[np.lexsort(c.T)]  # noqa: E731
        assert np.allclose(order(np.asarray(after["coord"])[kept]), order(before["coord"][listed]))


def check_only_listed_scenes(data_root: str, lr_file: str) -> None:
    dataset = host.build_dataset(dict(type="ScanNetDataset", split="train", data_root=data_root, lr_file=lr_file))
    assert len(dataset) == len(LISTED)
    assert sorted(dataset.get_data(i)["name"] for i in range(len(dataset))) == LISTED
