"""MultiRegionCrop: coverage within the configured ranges, locals inside the candidate, original coordinates kept,
too-small inputs raise, and Collect + collate give consistent offsets."""

import numpy as np
import pytest
import torch

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.datasets.synthetic import generate_room


def room(seed=0):
    r = generate_room(seed, density=60)
    return dict(coord=r["coord"], color=r["color"].astype(np.float32), normal=r["normal"], name=f"room{seed}")


def test_coverage_statistics_and_candidate_membership():
    np.random.seed(0)
    crop = host.TRANSFORMS.build(dict(type="MultiRegionCrop", global_num=2, local_num=8))
    coord = room()["coord"]
    for _ in range(30):
        candidate, globals_, locals_ = crop.scene_views(coord)
        assert abs(len(candidate) / len(coord) - 0.6) < 0.01
        cand = set(candidate.tolist())
        for view in globals_:
            assert 0.4 - 1e-3 <= len(view) / len(candidate) <= 0.8 + 1e-3
            assert set(view.tolist()) <= cand
        for view in locals_:
            assert 0.1 - 1e-3 <= len(view) / len(candidate) <= 0.3 + 1e-3
            assert set(view.tolist()) <= cand


def test_views_keep_original_coordinates_through_their_transforms():
    np.random.seed(1)
    sample = room()
    crop = host.TRANSFORMS.build(
        dict(
            type="MultiRegionCrop",
            global_num=2,
            local_num=4,
            local_transform=[dict(type="CenterShift", apply_z=True), dict(type="RandomRotate", angle=[-1, 1], p=1.0)],
            global_transform=[dict(type="RandomScale", scale=[0.8, 1.2])],
        )
    )
    out = crop(dict(sample))
    original = {tuple(p) for p in np.round(sample["coord"], 5)}
    assert all(tuple(p) in original for p in np.round(out["local_origin_coord"], 5))
    assert out["local_offset"].shape == (4,) and out["global_offset"].shape == (2,)
    assert out["local_offset"][-1] == len(out["local_coord"]) == len(out["local_origin_coord"])
    # the local views were moved by their transforms, their origin coordinates were not
    assert np.abs(out["local_coord"] - out["local_origin_coord"]).max() > 0.1


def test_too_small_input_raises_and_views_are_never_empty():
    crop = host.TRANSFORMS.build(dict(type="MultiRegionCrop", min_points=16))
    tiny = dict(coord=np.random.rand(100, 3).astype(np.float32), name="tiny")
    with pytest.raises(ValueError, match="sample 'tiny' has 100 points.*at least 267"):
        crop(tiny)
    ok = dict(coord=np.random.rand(300, 3).astype(np.float32))
    out = crop(ok)
    sizes = np.diff(np.concatenate([[0], out["local_offset"]]))
    assert sizes.min() >= 16


def test_object_mode_fixed_counts():
    np.random.seed(2)
    crop = host.TRANSFORMS.build(
        dict(
            type="MultiRegionCrop",
            mode="object",
            global_num=2,
            local_num=4,
            object_global_points=512,
            object_local_points=64,
            object_voxel_size=0.05,
        )
    )
    obj = dict(coord=np.random.randn(2000, 3).astype(np.float32))
    out = crop(obj)
    assert out["global_offset"].tolist() == [512, 1024] and out["local_offset"].tolist() == [64, 128, 192, 256]


def test_collect_and_collate_offsets_are_consistent():
    np.random.seed(3)
    pipeline = [
        dict(type="MultiRegionCrop", global_num=2, local_num=3),
        dict(type="ToTensor"),
        dict(
            type="Collect",
            keys=(
                "global_coord",
                "global_origin_coord",
                "global_offset",
                "local_coord",
                "local_origin_coord",
                "local_offset",
            ),
            offset_keys_dict=dict(),
            global_feat_keys=("global_color", "global_normal"),
            local_feat_keys=("local_color", "local_normal"),
        ),
    ]
    transforms = [host.TRANSFORMS.build(c) for c in pipeline]
    samples = []
    for seed in (0, 1):
        s = room(seed)
        for t in transforms:
            s = t(s)
        samples.append(s)
    batch = host.point_collate_fn(samples)
    for prefix, views in (("global", 2), ("local", 3)):
        offset = batch[f"{prefix}_offset"]
        assert offset.shape == (2 * views,)
        assert int(offset[-1]) == batch[f"{prefix}_coord"].shape[0] == batch[f"{prefix}_feat"].shape[0]
        assert bool((offset.diff() > 0).all())
        first_sample_end = int(samples[0][f"{prefix}_offset"][-1])
        assert int(offset[views - 1]) == first_sample_end
    assert batch["global_feat"].shape[1] == 6 and batch["global_feat"].dtype == torch.float32
