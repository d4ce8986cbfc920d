"""Standalone readers and transforms: ScanNet-layout and S3DIS-layout folders (real scans and synthetic rooms),
GridSample train / test modes, deterministic synthetic data, clear errors for missing data."""

import os

import numpy as np
import pytest
import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.datasets.synthetic import generate_room, write_rooms
from tests.helpers.common import SCANNET_MINI

requires_scannet_mini = pytest.mark.skipif(
    not os.path.isdir(SCANNET_MINI), reason=f"real sample scans not found at {SCANNET_MINI}"
)
SEMSEG_TRANSFORM = [
    dict(type="CenterShift", apply_z=True),
    dict(type="RandomRotate", angle=[-1, 1], axis="z", center=[0, 0, 0], p=0.5),
    dict(type="RandomScale", scale=[0.9, 1.1]),
    dict(type="RandomFlip", p=0.5),
    dict(type="RandomJitter", sigma=0.005, clip=0.02),
    dict(type="ElasticDistortion", distortion_params=[[0.2, 0.4], [0.8, 1.6]]),
    dict(type="ChromaticAutoContrast", p=0.2, blend_factor=None),
    dict(type="ChromaticTranslation", p=0.95, ratio=0.05),
    dict(type="ChromaticJitter", p=0.95, std=0.05),
    dict(type="GridSample", grid_size=0.05, hash_type="fnv", mode="train", return_grid_coord=True),
    dict(type="SphereCrop", point_max=20000, mode="random"),
    dict(type="CenterShift", apply_z=False),
    dict(type="NormalizeColor"),
    dict(type="ToTensor"),
    dict(type="Collect", keys=("coord", "grid_coord", "segment"), feat_keys=("color", "normal")),
]


@requires_scannet_mini
def test_scannet_reader_on_real_scans():
    ds = host.build_dataset(
        dict(type="ScanNetDataset", split="train", data_root=SCANNET_MINI, transform=SEMSEG_TRANSFORM)
    )
    assert len(ds) == 1
    np.random.seed(0)
    sample = ds[0]
    assert set(sample) == {"coord", "grid_coord", "segment", "feat", "offset"}
    n = sample["coord"].shape[0]
    assert 1000 < n <= 20000
    assert sample["coord"].dtype == torch.float32 and sample["feat"].shape == (n, 6)
    assert sample["grid_coord"].dtype == torch.int64 and sample["segment"].dtype == torch.int64
    assert sample["offset"].tolist() == [n]
    assert sample["segment"].min() >= -1 and sample["segment"].max() < 20
    assert sample["feat"][:, :3].abs().max() <= 1.0 + 1e-6  # NormalizeColor
    # one point per voxel after GridSample in train mode
    assert len(torch.unique(sample["grid_coord"], dim=0)) == n


@requires_scannet_mini
def test_grid_sample_modes_on_real_scan():
    raw = host.build_dataset(dict(type="ScanNetDataset", split="val", data_root=SCANNET_MINI)).get_data(0)
    n = len(raw["coord"])
    train = host.TRANSFORMS.build(
        dict(type="GridSample", grid_size=0.04, mode="train", return_inverse=True, return_grid_coord=True)
    )(dict(raw))
    # every original point maps to exactly one kept point, in its own voxel
    assert train["inverse"].shape == (n,) and train["inverse"].max() == len(train["coord"]) - 1
    voxel = np.floor(raw["coord"] / 0.04).astype(np.int64)
    kept_voxel = np.floor(train["coord"] / 0.04).astype(np.int64)
    assert (kept_voxel[train["inverse"]] == voxel).all()
    fragments = host.TRANSFORMS.build(dict(type="GridSample", grid_size=0.04, mode="test", return_grid_coord=True))(
        dict(raw)
    )
    assert len(fragments) > 1
    covered = np.zeros(n, dtype=int)
    for frag in fragments:
        assert len(np.unique(frag["grid_coord"], axis=0)) == len(frag["index"])  # one point per voxel
        np.add.at(covered, frag["index"], 1)
    assert covered.min() >= 1  # together the fragments cover every point
    # the first pass over the voxels visits each point at most once per cycle
    assert covered.sum() == len(fragments) * len(fragments[0]["index"])


def test_synthetic_rooms_in_both_layouts_and_determinism(tmp_path):
    write_rooms(str(tmp_path / "scannet"), "scannet", {"train": [1, 2], "val": [3]}, density=40)
    write_rooms(str(tmp_path / "s3dis"), "s3dis", {"Area_1": [1], "Area_5": [3]}, density=40)
    scannet = host.build_dataset(dict(type="ScanNetDataset", split="train", data_root=str(tmp_path / "scannet")))
    s3dis = host.build_dataset(dict(type="S3DISDataset", split=["Area_1", "Area_5"], data_root=str(tmp_path / "s3dis")))
    assert len(scannet) == 2 and len(s3dis) == 2
    a, b = scannet.get_data(0), s3dis.get_data(0)
    assert np.array_equal(a["segment"], b["segment"]) and np.allclose(a["coord"], b["coord"])
    assert s3dis.get_data_name(1) == "Area_5-room_3"
    again = generate_room(1, density=40)
    assert np.array_equal(again["coord"], a["coord"]) and np.array_equal(again["instance"], a["instance"])
    assert not np.array_equal(generate_room(2, density=40)["coord"][:100], a["coord"][:100])


def test_missing_data_raises_with_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="split folder .*nowhere.*does not exist"):
        host.build_dataset(dict(type="ScanNetDataset", split="nowhere", data_root=str(tmp_path)))
    (tmp_path / "train" / "scene0").mkdir(parents=True)
    ds = host.build_dataset(dict(type="ScanNetDataset", split="train", data_root=str(tmp_path)))
    with pytest.raises(FileNotFoundError, match="coord.npy is missing"):
        ds[0]
    np.save(tmp_path / "train" / "scene0" / "coord.npy", np.zeros((0, 3), np.float32))
    with pytest.raises(ValueError, match="scene0/coord.npy holds no points"):
        ds[0]


def test_rotation_keeps_distances_and_collect_builds_features():
    rng = np.random.default_rng(0)
    data = dict(
        coord=rng.normal(size=(50, 3)).astype(np.float32),
        normal=rng.normal(size=(50, 3)).astype(np.float32),
        color=rng.uniform(0, 255, (50, 3)).astype(np.float32),
    )
    before = np.linalg.norm(data["coord"][:, None] - data["coord"][None], axis=-1)
    out = host.TRANSFORMS.build(dict(type="RandomRotate", angle=[-1, 1], axis="z", p=1.0))(dict(data))
    assert np.allclose(np.linalg.norm(out["coord"][:, None] - out["coord"][None], axis=-1), before, atol=1e-4)
    out = host.TRANSFORMS.build(dict(type="NormalizeColor"))(out)
    tensor = host.TRANSFORMS.build(dict(type="ToTensor"))(out)
    collected = host.TRANSFORMS.build(dict(type="Collect", keys=("coord",), feat_keys=("color", "normal")))(tensor)
    assert collected["feat"].shape == (50, 6) and collected["offset"].tolist() == [50]
    with pytest.raises(KeyError, match=r"keys \['segment'\] are not in the sample"):
        host.TRANSFORMS.build(dict(type="Collect", keys=("segment",)))(tensor)


def test_synthetic_objects_are_deterministic_and_part_labelled():
    from pointcept_csp.datasets.synthetic_objects import OBJECT_CLASSES, PART_NAMES, generate_object

    a, b = generate_object(5), generate_object(5)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert len(OBJECT_CLASSES) == 12
    ds = host.build_dataset(dict(type="SyntheticObjectsDataset", num_objects=24, num_points=256, split="val"))
    seen = set()
    for i in range(len(ds)):
        obj = ds.get_data(i)
        cls = OBJECT_CLASSES[int(obj["category"][0])]
        assert obj["coord"].shape == (256, 3) and np.abs(np.linalg.norm(obj["coord"], axis=1)).max() < 1.1
        # every part id belongs to the object's own class
        assert all(PART_NAMES[p].startswith(cls + "/") for p in np.unique(obj["segment"]))
        seen.add(cls)
    assert seen == set(OBJECT_CLASSES)


def test_cache_option_raises_on_the_standalone_host(tmp_path):
    write_rooms(str(tmp_path), "scannet", {"train": [1]}, density=20)
    with pytest.raises(ValueError, match="cache=True is Pointcept's shared-memory cache"):
        host.build_dataset(dict(type="ScanNetDataset", split="train", data_root=str(tmp_path), cache=True))
    assert len(host.build_dataset(dict(type="ScanNetDataset", data_root=str(tmp_path), cache=False))) == 1
