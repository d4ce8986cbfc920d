"""The one normal estimator (pointcept_csp/utils/normals.py): PCA normals recover planes and a sphere, and each
orientation signs them as it says; the standalone ScanObjectNN reader, tools/predict.py and tools/prepare_data.py all
go through it, and a model's prediction from estimated normals equals its prediction from its training data's."""

import os

import numpy as np
import pytest
import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.engines.predictor import normal_orientation
from pointcept_csp.utils.normals import estimate_normals
from tests.helpers.common import ROOT


def angle_degrees(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cos = np.abs((a * b).sum(1)) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return np.degrees(np.arccos(np.clip(cos, 0, 1)))


def planes_and_sphere():
    rng = np.random.default_rng(0)
    grid = rng.random((4000, 2)) * 2
    floor = np.column_stack([grid, np.zeros(4000)])  # three planes that do not meet
    wall = np.column_stack([grid[:, 0] + 4.0, np.full(4000, 3.0), grid[:, 1]])
    tilt = np.column_stack([grid - 4.0, grid[:, 0] * 0.5 + 3.0])
    room = np.concatenate([floor, wall, tilt])
    truth = np.concatenate(
        [
            np.tile([0, 0, 1.0], (4000, 1)),
            np.tile([0, 1.0, 0], (4000, 1)),
            np.tile(np.array([-0.5, 0, 1.0]) / np.sqrt(1.25), (4000, 1)),
        ]
    )
    direction = rng.normal(size=(30000, 3))
    sphere = direction / np.linalg.norm(direction, axis=1, keepdims=True) + 5.0
    return room, truth, sphere


def test_normal_estimation_recovers_planes_and_a_sphere():
    """Noise-free samples: planes within 0.5 degrees (every point), a sphere of radius 1 sampled at ~2 cm within 2
    degrees (the curvature over 16 neighbours tilts no normal more)."""
    room, truth, sphere = planes_and_sphere()
    assert angle_degrees(estimate_normals(room, k=16), truth).max() < 0.5
    assert angle_degrees(estimate_normals(sphere, k=16, chunk=7000), sphere - 5.0).max() < 2.0  # several chunks
    with pytest.raises(ValueError, match="at least 3 points, got 2"):
        estimate_normals(room[:2])


def test_each_orientation_signs_the_normals_as_it_says():
    room, _, sphere = planes_and_sphere()
    inward, outward, up = (estimate_normals(sphere, k=16, orientation=o) for o in ("inward", "outward", "up"))
    assert (((5.0 - sphere) * inward).sum(1) > 0).all()  # towards the centre
    assert np.array_equal(outward, -inward)
    assert (up[:, 2] >= 0).all() and np.allclose(np.abs(up), np.abs(inward))
    towards = ((room.mean(0) - room) * estimate_normals(room, k=16)).sum(1)
    assert (towards > 0).mean() > 0.999  # inward is the default
    viewpoint = np.array([0.0, 0.0, 10.0])
    seen = ((viewpoint - room) * estimate_normals(room, k=16, viewpoint=viewpoint)).sum(1)
    assert (seen > 0).mean() > 0.999
    with pytest.raises(ValueError, match="one of"):
        estimate_normals(room, orientation="towards")
    with pytest.raises(ValueError, match="viewpoint orients normals 'inward'"):
        estimate_normals(room, orientation="up", viewpoint=viewpoint)


def test_the_real_scans_are_stored_up_and_the_rooms_config_says_so():
    """../shared/data's scans store PCA normals facing +z; the rooms config names that, so predict.py's estimate of a
    scan without normals equals the stored ones (same PCA, same sign), where `inward` flips a third of them."""
    path = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-rooms", "val", "scene0007_00")
    if not os.path.isdir(path):
        pytest.skip(f"real sample rooms not found at {path}")
    coord, stored = np.load(os.path.join(path, "coord.npy")), np.load(os.path.join(path, "normal.npy"))
    cfg = host.load_config(os.path.join(ROOT, "configs", "scannet", "semseg-pointcsp-v1m1-0-rooms.py"))
    orientation = normal_orientation(cfg)
    assert orientation == "up"
    same_sign = ((estimate_normals(coord, orientation=orientation) * stored).sum(1) > 0.9).mean()
    flipped_inward = ((estimate_normals(coord, orientation="inward") * stored).sum(1) < 0).mean()
    assert same_sign > 0.99 and flipped_inward > 0.2


def test_classification_from_estimated_normals_equals_from_the_training_datas(tmp_path):
    """An object without normals through predict.py's path gives the prediction the model gives the same object
    with the normals the standalone ScanObjectNN reader trained it on; the opposite orientation changes it."""
    pytest.importorskip("h5py")
    from pointcept_csp.datasets.synthetic_objects import write_objects
    from pointcept_csp.engines.predictor import classify, complete_features, feature_keys

    config = os.path.join(ROOT, "configs", "scanobjectnn", "cls-pointcsp-v1m1-0-spd-ft.py")
    cfg = host.load_config(config)
    root = str(tmp_path / "data")
    write_objects(root, "scanobjectnn", {"train": [1], "test": [3]}, list(cfg.data.names), num_points=400)
    trained_on = host.build_dataset(dict(type="ScanObjectNNDataset", split="test", data_root=root)).get_data(0)
    torch.manual_seed(0)
    model = host.build_model(cfg.model).eval()
    with_normals = dict(coord=trained_on["coord"].astype(np.float64), normal=trained_on["normal"])
    expected = classify(cfg, model, torch.device("cpu"), with_normals)
    keys, orientation = feature_keys(cfg), normal_orientation(cfg)
    assert orientation == "outward"
    without = dict(coord=trained_on["coord"].astype(np.float64))
    notes = complete_features("object", without, keys, orientation=orientation)
    assert "oriented outward" in notes[0]
    assert np.array_equal(without["normal"], trained_on["normal"])
    assert np.allclose(classify(cfg, model, torch.device("cpu"), without), expected, atol=1e-6)
    flipped = dict(coord=trained_on["coord"].astype(np.float64))
    complete_features("object", flipped, keys, orientation="inward")
    assert not np.allclose(classify(cfg, model, torch.device("cpu"), flipped), expected, atol=1e-4)
