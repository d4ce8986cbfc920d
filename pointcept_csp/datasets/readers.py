"""Point clouds from the files users have, each read by the library made for its format: PLY (plyfile, point clouds
and mesh vertices), LAS / LAZ (laspy with the lazrs backend, the `las` extra), text (.txt / .xyz / .csv / .pts),
.npy / .npz, a Pointcept scene folder (coord.npy, color.npy, normal.npy) and a Pointcept .pth dict.

Two layers: `read_fields(path)` gives every named per-point field of a file (what converters such as
tools/convert_3dses.py need, labels included); `read_points(path)` gives the model's inputs in Pointcept's names:
`coord` (float64 `[N, 3]`, metres as stored), `color` (float32 `[N, 3]`, 0-255) and `normal` (float32 `[N, 3]`)
when the file has them. Every problem raises `PointCloudError` naming the file.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch

from ..utils.checkpoint import load_arrays_weights_only

TEXT_SUFFIXES = (".txt", ".xyz", ".csv", ".pts")
SUFFIXES = (".ply", ".las", ".laz", *TEXT_SUFFIXES, ".npy", ".npz", ".pth")
# column names of headerless text and plain arrays by column count; other counts need `columns`
DEFAULT_COLUMNS = {
    3: ("x", "y", "z"),
    6: ("x", "y", "z", "red", "green", "blue"),
    7: ("x", "y", "z", "intensity", "red", "green", "blue"),  # Leica .pts
    9: ("x", "y", "z", "red", "green", "blue", "nx", "ny", "nz"),
}
COLOR_NAMES = (("red", "green", "blue"), ("r", "g", "b"), ("diffuse_red", "diffuse_green", "diffuse_blue"))
NORMAL_NAMES = (("nx", "ny", "nz"), ("normal_x", "normal_y", "normal_z"))
SKIP_COLUMN = "_"


class PointCloudError(ValueError):
    """A point cloud file that cannot be read as one; the message names the file."""


def read_fields(path: str, columns: list[str] | None = None) -> dict[str, np.ndarray]:
    """Every per-point field of the file, by name (`[N]` arrays; a folder or .npz/.pth dict keeps `[N, k]` arrays).
    `columns` names the columns of text and `.npy` files in order (`_` skips one)."""
    if os.path.isdir(path):
        return _read_folder(path)
    if not os.path.exists(path):
        raise PointCloudError(f"{path}: no such file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".ply":
        return _read_ply(path)
    if suffix in (".las", ".laz"):
        return _read_las(path)
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, columns)
    if suffix == ".npy":
        return _named_columns(path, np.load(path), columns)
    if suffix == ".npz":
        with np.load(path) as archive:
            arrays = {key: archive[key] for key in archive.files}
        return arrays if "coord" in arrays or len(arrays) != 1 else _named_columns(path, *arrays.values(), columns)
    if suffix == ".pth":
        return _read_pth(path)
    raise PointCloudError(f"{path}: unknown extension {suffix!r}; expected one of {', '.join(SUFFIXES)} or a folder")


def read_points(path: str, columns: list[str] | None = None) -> dict[str, np.ndarray]:
    """The model's inputs: `coord` (float64), `color` (float32, 0-255) and `normal` (float32) where present."""
    return cloud_from_fields(path, read_fields(path, columns))


def cloud_from_fields(path: str, fields: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`coord`, `color` (0-255) and `normal` from a file's named fields (what `read_fields` gives), checked."""
    cloud = dict(coord=_stack(fields, ("coord",), (("x", "y", "z"),)))
    if cloud["coord"] is None:
        raise PointCloudError(f"{path}: no coordinates: expected fields x, y, z (or coord); found {sorted(fields)}")
    color = _stack(fields, ("color", "rgb"), COLOR_NAMES)
    if color is not None:
        cloud["color"] = to_0_255(color)
    normal = _stack(fields, ("normal",), NORMAL_NAMES)
    if normal is not None:
        cloud["normal"] = normal.astype(np.float32)
    return check_cloud(path, cloud)


def check_cloud(path: str, cloud: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Non-empty, finite `[N, 3]` coordinates and per-point arrays of N rows, else `PointCloudError`."""
    coord = np.asarray(cloud["coord"], dtype=np.float64)
    if coord.ndim != 2 or coord.shape[1] != 3:
        raise PointCloudError(f"{path}: coordinates must be [N, 3], got shape {coord.shape}")
    if len(coord) == 0:
        raise PointCloudError(f"{path}: the point cloud is empty")
    bad = ~np.isfinite(coord).all(axis=1)
    if bad.any():
        raise PointCloudError(
            f"{path}: {int(bad.sum())} of {len(coord)} points have NaN or infinite coordinates "
            f"(first at row {int(np.argmax(bad))})"
        )
    for key, value in cloud.items():
        if len(value) != len(coord):
            raise PointCloudError(f"{path}: {key} has {len(value)} rows, coord has {len(coord)}")
    cloud["coord"] = coord
    return cloud


def to_0_255(color: np.ndarray) -> np.ndarray:
    """8-bit colour as is; 16-bit colour (a maximum above 255, as LAS stores it) divided by 257 (65535 -> 255);
    floating colour in [0, 1] times 255."""
    color = np.asarray(color)
    top = color.max() if color.size else 0
    if np.issubdtype(color.dtype, np.floating) and top <= 1.0:
        return (color * 255.0).astype(np.float32)
    if top > 255:
        return (color / 257.0).astype(np.float32)
    return color.astype(np.float32)


def _stack(fields, whole_names, column_names) -> np.ndarray | None:
    for name in whole_names:
        if name in fields and np.ndim(fields[name]) == 2:
            return np.asarray(fields[name])
    for names in column_names:
        if all(n in fields for n in names):
            return np.stack([np.asarray(fields[n]) for n in names], axis=1)
    return None


def _named_columns(path: str, table: np.ndarray, columns: list[str] | None) -> dict[str, np.ndarray]:
    if table.size == 0:
        raise PointCloudError(f"{path}: the point cloud is empty")
    if table.ndim != 2:
        raise PointCloudError(f"{path}: expected a table of points [N, columns], got shape {table.shape}")
    if columns is None:
        columns = DEFAULT_COLUMNS.get(table.shape[1])
        if columns is None:
            raise PointCloudError(
                f"{path}: {table.shape[1]} columns; name them with --columns (e.g. x y z red green blue _ ...), "
                f"or use {sorted(DEFAULT_COLUMNS)} columns"
            )
    elif len(columns) != table.shape[1]:
        raise PointCloudError(f"{path}: --columns names {len(columns)} columns, the file has {table.shape[1]}")
    return {name: table[:, i] for i, name in enumerate(columns) if name != SKIP_COLUMN}


def _read_ply(path: str) -> dict[str, np.ndarray]:
    from plyfile import PlyData

    try:
        ply = PlyData.read(path)
    except Exception as e:
        raise PointCloudError(f"{path}: not a readable PLY file ({e})") from e
    if "vertex" not in ply:
        raise PointCloudError(f"{path}: no vertex element; found {[el.name for el in ply.elements]}")
    vertex = ply["vertex"].data
    return {name: np.asarray(vertex[name]) for name in vertex.dtype.names if vertex[name].dtype != object}


def _read_las(path: str) -> dict[str, np.ndarray]:
    try:
        import laspy
    except ImportError as e:
        raise PointCloudError(
            f"{path}: reading .las / .laz needs laspy with the lazrs backend: pip install -e .[las]"
        ) from e
    try:
        las = laspy.read(path)
    except laspy.errors.LaspyException as e:
        hint = " (.laz needs the lazrs backend: pip install -e .[las])" if path.lower().endswith(".laz") else ""
        raise PointCloudError(f"{path}: {e}{hint}") from e
    fields = {name: np.asarray(las[name]) for name in las.point_format.dimension_names if name not in ("X", "Y", "Z")}
    fields.update(x=np.asarray(las.x), y=np.asarray(las.y), z=np.asarray(las.z))  # scaled and offset
    return fields


def _read_text(path: str, columns: list[str] | None) -> dict[str, np.ndarray]:
    with open(path) as f:
        first = f.readline()
        second = f.readline()
    delimiter = "," if "," in first + second else (";" if ";" in first + second else None)
    tokens = first.replace(",", " ").replace(";", " ").split()
    skip = 0
    if len(tokens) == 1 and tokens[0].isdigit() and len(second.split()) > 1:
        skip = 1  # .pts: the point count stands alone on the first line
    elif tokens and not _is_number(tokens[0]):
        skip = 1  # a header of column names
        if columns is None:
            names = first.split(delimiter) if delimiter else tokens
            columns = [t.strip().lower().removeprefix("//").removeprefix("#") for t in names]
    try:
        with warnings.catch_warnings():  # an empty file is reported as such below, not as numpy's warning
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(path, delimiter=delimiter, skiprows=skip, ndmin=2, comments="#")
    except ValueError as e:
        raise PointCloudError(f"{path}: not a table of numbers ({e})") from e
    return _named_columns(path, table, columns)


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _read_folder(path: str) -> dict[str, np.ndarray]:
    if not os.path.isfile(os.path.join(path, "coord.npy")):
        raise PointCloudError(f"{path}: a Pointcept scene folder needs coord.npy (with color.npy, normal.npy)")
    return {
        name[:-4]: np.load(os.path.join(path, name))
        for name in ("coord.npy", "color.npy", "normal.npy")
        if os.path.isfile(os.path.join(path, name))
    }


def _read_pth(path: str) -> dict[str, np.ndarray]:
    """A dict of tensors or numpy arrays saved by torch.save (Pointcept's older layout)."""
    try:
        data = load_arrays_weights_only(path)
    except Exception as e:
        raise PointCloudError(f"{path}: not a readable .pth file ({e})") from e
    if not isinstance(data, dict):
        raise PointCloudError(f"{path}: expected a dict with coord (color, normal), got {type(data).__name__}")
    return {k: v.numpy() if torch.is_tensor(v) else np.asarray(v) for k, v in data.items() if np.ndim(v) >= 1}
