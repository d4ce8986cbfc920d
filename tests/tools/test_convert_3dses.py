"""tools/convert_3dses.py reads PLY and text scans through the package's readers into ThreeDSESDataset's layout."""

import json

import numpy as np
from plyfile import PlyData, PlyElement

from tests.helpers.common import run_tool


def test_ply_and_text_scans_become_scene_folders(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    rng = np.random.default_rng(0)
    vertex = np.empty(
        50,
        dtype=[
            ("x", "f8"),
            ("y", "f8"),
            ("z", "f8"),
            ("red", "u2"),
            ("green", "u2"),
            ("blue", "u2"),
            ("label", "u1"),
            ("label_true", "i4"),
        ],
    )
    for c in "xyz":
        vertex[c] = rng.random(50)
    for c in ("red", "green", "blue"):
        vertex[c] = rng.integers(0, 256, 50) * 257  # 16-bit colour
    vertex["label"], vertex["label_true"] = rng.integers(0, 5, 50), rng.integers(0, 5, 50)
    PlyData([PlyElement.describe(vertex, "vertex")]).write(str(src / "a.ply"))
    np.savetxt(
        src / "b.csv",
        np.column_stack([rng.random((20, 3)), np.full((20, 3), 200), np.full(20, 9)]),
        fmt="%.6f",
        delimiter=",",
    )
    (tmp_path / "splits.json").write_text(json.dumps(dict(train=["a"], test=["b"])))
    run_tool(
        "tools/convert_3dses.py",
        "--src",
        str(src),
        "--out",
        str(out),
        "--split-file",
        str(tmp_path / "splits.json"),
        "--true-label-field",
        "label_true",
        "--ignore-label",
        "9",
    )
    a = {k: np.load(out / "train" / "a" / f"{k}.npy") for k in ("coord", "color", "segment", "segment_true")}
    assert np.allclose(a["coord"], np.column_stack([vertex[c] for c in "xyz"]), atol=1e-6)
    assert (a["color"] == np.column_stack([vertex[c] // 257 for c in ("red", "green", "blue")])).all()
    assert (a["segment"] == vertex["label"]).all() and (a["segment_true"] == vertex["label_true"]).all()
    b = {k: np.load(out / "test" / "b" / f"{k}.npy") for k in ("color", "segment")}
    assert (b["color"] == 200).all() and (b["segment"] == -1).all()
