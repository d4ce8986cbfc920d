"""Real scans (../shared/data/scannet-rooms) written as the files users have, for the round trips of
tools/prepare_data.py: a PLY with normals and a `classification` property, a geo-referenced LAS (16-bit colour,
classification; -1 stored as 31) and a labelled text table without normals."""

from __future__ import annotations

import os

import numpy as np

from tests.helpers.common import SHARED_DATA

ROOMS = os.path.join(SHARED_DATA, "scannet-rooms")
LAS_SHIFT = np.array([500000.0, 4000000.0, 0.0])
COLUMNS = ["x", "y", "z", "red", "green", "blue", "classification"]
SOURCES = {"train/a.ply": "scene0001_00", "train/b.las": "scene0002_00", "val/c.txt": "scene0003_00"}


def scene(name: str) -> dict[str, np.ndarray]:
    folder = os.path.join(ROOMS, "train", name)
    return {key: np.load(os.path.join(folder, f"{key}.npy")) for key in ("coord", "color", "normal", "segment20")}


def write_ply(path: str, data: dict[str, np.ndarray]) -> None:
    from plyfile import PlyData, PlyElement

    fields = [("x", "f4"), ("y", "f4"), ("z", "f4"), ("red", "u1"), ("green", "u1"), ("blue", "u1")]
    fields += [("nx", "f4"), ("ny", "f4"), ("nz", "f4"), ("classification", "i2")]
    vertex = np.empty(len(data["coord"]), dtype=fields)
    for i, axis in enumerate("xyz"):
        vertex[axis], vertex["n" + axis] = data["coord"][:, i], data["normal"][:, i]
    for i, channel in enumerate(("red", "green", "blue")):
        vertex[channel] = data["color"][:, i]
    vertex["classification"] = data["segment20"]
    PlyData([PlyElement.describe(vertex, "vertex")]).write(path)


def write_las(path: str, data: dict[str, np.ndarray]) -> None:
    import laspy

    las = laspy.create(point_format=2, file_version="1.2")
    las.header.scales, las.header.offsets = [0.001] * 3, LAS_SHIFT.tolist()
    coord = data["coord"].astype(np.float64) + LAS_SHIFT
    las.x, las.y, las.z = coord[:, 0], coord[:, 1], coord[:, 2]
    las.red, las.green, las.blue = (data["color"].astype(np.uint16) * 257).T
    las.classification = np.where(data["segment20"] < 0, 31, data["segment20"]).astype(np.uint8)
    las.write(path)


def write_text(path: str, data: dict[str, np.ndarray]) -> None:
    table = np.column_stack([data["coord"], data["color"], data["segment20"]])
    np.savetxt(path, table, fmt="%.6f %.6f %.6f %d %d %d %d")


def export(folder: str) -> dict[str, dict[str, np.ndarray]]:
    """The three files under `folder` (train/a.ply, train/b.las, val/c.txt); returns each file's source arrays."""
    writers = {".ply": write_ply, ".las": write_las, ".txt": write_text}
    sources = {}
    for relative, name in SOURCES.items():
        path = os.path.join(folder, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        sources[relative] = scene(name)
        writers[os.path.splitext(path)[1]](path, sources[relative])
    return sources
