"""pointcept_csp.datasets.readers: one cloud written in every format reads back the same; colour scales and names,
text headers and delimiters, .pts counts, and the shift of geo-referenced coordinates."""

import numpy as np
import pytest
import torch
from plyfile import PlyData, PlyElement

from pointcept_csp.datasets.readers import PointCloudError, read_fields, read_points
from pointcept_csp.engines.predictor import model_coordinates

RNG = np.random.default_rng(0)
COORD = (RNG.random((40, 3)) * 5).astype(np.float32).astype(np.float64)
COLOR = RNG.integers(0, 256, (40, 3)).astype(np.float32)
NORMAL = RNG.normal(size=(40, 3)).astype(np.float32)


def write_ply(path, color_type="u1", names=("red", "green", "blue"), scale=1):
    vertex = np.empty(40, dtype=[(c, "f4") for c in "xyz"] + [(n, color_type) for n in names])
    for i, c in enumerate("xyz"):
        vertex[c] = COORD[:, i]
    for i, n in enumerate(names):
        vertex[n] = COLOR[:, i] * scale
    PlyData([PlyElement.describe(vertex, "vertex")]).write(str(path))


def check(cloud, normal=True):
    np.testing.assert_allclose(cloud["coord"], COORD, atol=1e-6)
    np.testing.assert_allclose(cloud["color"], COLOR, atol=1e-3)
    if normal:
        np.testing.assert_allclose(cloud["normal"], NORMAL, atol=1e-6)


@pytest.mark.parametrize(
    "color_type, names, scale",
    [
        pytest.param("u1", ("red", "green", "blue"), 1, id="8bit-red"),
        pytest.param("u2", ("r", "g", "b"), 257, id="16bit-r"),
        pytest.param("f4", ("red", "green", "blue"), 1 / 255, id="float-0-1"),
    ],
)
def test_ply_colour_names_and_scales(tmp_path, color_type, names, scale):
    write_ply(tmp_path / "a.ply", color_type, names, scale)
    check(read_points(str(tmp_path / "a.ply")), normal=False)


def test_every_array_format_reads_the_same_cloud(tmp_path):
    table = np.column_stack([COORD, COLOR, NORMAL])
    np.save(tmp_path / "a.npy", table)
    np.savez(tmp_path / "b.npz", coord=COORD, color=COLOR, normal=NORMAL)
    torch.save(dict(coord=COORD, color=COLOR, normal=NORMAL), tmp_path / "c.pth")
    (tmp_path / "d").mkdir()
    for key, value in (("coord", COORD), ("color", COLOR), ("normal", NORMAL)):
        np.save(tmp_path / "d" / f"{key}.npy", value)
    np.savetxt(tmp_path / "e.csv", table, fmt="%.9g", delimiter=",", header="X,Y,Z,R,G,B,Nx,Ny,Nz", comments="")
    np.savetxt(tmp_path / "f.txt", np.column_stack([table[:, 6:], table[:, :6]]), fmt="%.9g")
    for name in ("a.npy", "b.npz", "c.pth", "d", "e.csv"):
        check(read_points(str(tmp_path / name)))
    check(read_points(str(tmp_path / "f.txt"), columns=["nx", "ny", "nz", "x", "y", "z", "red", "green", "blue"]))


def test_pts_count_line_and_skipped_columns(tmp_path):
    rows = np.column_stack([COORD, np.full(40, 7.0), COLOR])
    with open(tmp_path / "a.pts", "w") as f:
        f.write("40\n")
        np.savetxt(f, rows, fmt="%.9g")
    check(read_points(str(tmp_path / "a.pts")), normal=False)  # x y z intensity r g b
    cloud = read_points(str(tmp_path / "a.pts"), columns=["x", "y", "z", "_", "_", "_", "_"])
    assert sorted(cloud) == ["coord"]
    assert "intensity" in read_fields(str(tmp_path / "a.pts"))


def test_unreadable_files_are_named(tmp_path):
    (tmp_path / "bad.ply").write_text("not a ply\n")
    with pytest.raises(PointCloudError, match="bad.ply: not a readable PLY file"):
        read_points(str(tmp_path / "bad.ply"))
    np.save(tmp_path / "five.npy", np.zeros((4, 5)))
    with pytest.raises(PointCloudError, match="five.npy: 5 columns; name them with --columns"):
        read_points(str(tmp_path / "five.npy"))
    np.save(tmp_path / "inf.npy", np.array([[0, 0, 0], [np.inf, 0, 0.0]]))
    with pytest.raises(PointCloudError, match="inf.npy: 1 of 2 points have NaN or infinite coordinates"):
        read_points(str(tmp_path / "inf.npy"))
    (tmp_path / "empty_folder").mkdir()
    with pytest.raises(PointCloudError, match="empty_folder: a Pointcept scene folder needs coord.npy"):
        read_points(str(tmp_path / "empty_folder"))
    np.save(tmp_path / "xy.npy", np.zeros((4, 3)))
    with pytest.raises(PointCloudError, match=r"no coordinates: expected fields x, y, z .*found \['a', 'b', 'c'\]"):
        read_points(str(tmp_path / "xy.npy"), columns=["a", "b", "c"])


def test_geo_referenced_coordinates_are_shifted_by_whole_kilometres():
    coord = np.array([[512_345.678, 5_401_234.5, 310.25], [512_346.0, 5_401_235.0, 311.0]])
    shifted = model_coordinates(coord)
    np.testing.assert_allclose(shifted, coord - [512_000.0, 5_401_000.0, 0.0], atol=1e-4)
    assert shifted.dtype == np.float32
    assert (model_coordinates(COORD) == COORD.astype(np.float32)).all()  # rooms near the origin stay as they are
