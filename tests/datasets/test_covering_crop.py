"""CoveringSphereCrop (the DeLA / CamPoint test protocol): crops of at most point_max points that together cover every
point, per-point arrays cut alike; it works as a test-time crop inside a dataset's test_cfg."""

import numpy as np
import pytest

from pointcept_csp import host
from pointcept_csp.datasets.synthetic import write_rooms


def test_crops_cover_every_point_within_the_cap():
    rng = np.random.default_rng(0)
    coord = rng.random((1000, 3)).astype(np.float32) * 5
    data = dict(coord=coord, color=rng.random((1000, 3)), index=np.arange(1000), name="room", grid_size=np.array(0.1))
    crops = host.TRANSFORMS.build(dict(type="CoveringSphereCrop", point_max=300))(data)
    assert len(crops) >= 4 and all(len(c["coord"]) <= 300 for c in crops)
    covered = np.unique(np.concatenate([c["index"] for c in crops]))
    assert np.array_equal(covered, np.arange(1000))
    for crop in crops:
        assert np.array_equal(crop["coord"], coord[crop["index"]]) and crop["name"] == "room"
    assert host.TRANSFORMS.build(dict(type="CoveringSphereCrop", point_max=5000))(data) == [data]
    with pytest.raises(ValueError, match="CoveringSphereCrop"):
        host.TRANSFORMS.build(dict(type="SphereCrop", mode="all"))


def test_dela_protocol_config_builds_covering_test_fragments(tmp_path):
    cfg = host.load_config("configs/s3dis/pointcsp-dela-protocol.py")
    write_rooms(str(tmp_path), "s3dis", {"Area_5": [3]}, density=80)
    test_cfg = dict(cfg.data.test, data_root=str(tmp_path))
    test_cfg["test_cfg"] = dict(test_cfg["test_cfg"], crop=dict(type="CoveringSphereCrop", point_max=2000))
    sample = host.DATASETS.build(test_cfg)[0]
    indices = np.concatenate([np.asarray(f["index"]) for f in sample["fragment_list"]])
    assert len(sample["fragment_list"]) > 12  # 12 test-time passes, several crops each
    assert np.array_equal(np.unique(indices), np.arange(len(sample["segment"])))
