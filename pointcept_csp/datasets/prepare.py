"""Your own scans as a Pointcept dataset (tools/prepare_data.py): point files in, `<out>/<split>/<scene>/{coord,
color, normal, segment}.npy` out, with a label map, a per-class histogram and the configs that train on it.

A scan is read in chunks (LAS / LAZ through laspy's chunk iterator, other formats whole), optionally cut into square
`tile` x `tile` metre tiles on x, y and voxel-downsampled at `grid` metres (one point per voxel, the first read), so
that a lidar scan of tens of millions of points never sits in memory at full density. Coordinates are stored in
float32 relative to the scene's lower corner floored to whole metres (the offset is in meta.json); colour as uint8;
normals are the file's or estimated by PCA (`utils.normals`; `inward`, towards the scene's centroid, unless told
otherwise; the written semseg.py names the orientation, so that tools/predict.py estimates a new scan's the same
way); labels through the label map, -1 where ignored or unlabelled.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..utils.normals import estimate_normals
from .readers import SUFFIXES, PointCloudError, check_cloud, cloud_from_fields, read_fields

SPLITS = ("train", "val", "test")
UNLABELLED = "unlabelled"  # the split of scans without labels: pre-training reads it, fine-tuning does not
LAS_CHUNK = 2_000_000  # points per laspy chunk


class LabelMap:
    """Raw label values -> class ids 0..C-1 (-1: ignored). From a classes file (one name per line, value = line
    number, or `value name` pairs) or, without one, the values found, sorted."""

    def __init__(self, values: list[int], names: list[str], ignore: tuple[int, ...] = ()) -> None:
        if len(set(values)) != len(values):
            raise ValueError(f"class values must be unique, got {values}")
        self.values, self.names, self.ignore = list(values), list(names), tuple(ignore)
        self.lookup = {v: i for i, v in enumerate(self.values)}

    @classmethod
    def from_file(cls, path: str, ignore: tuple[int, ...] = ()) -> LabelMap:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"classes file {path} does not exist")
        with open(path) as f:
            lines = [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]
        if not lines:
            raise ValueError(f"classes file {path} names no class")
        pairs = [line.split(maxsplit=1) for line in lines]
        if all(len(p) == 2 and re.fullmatch(r"-?\d+", p[0]) for p in pairs):
            values, names = [int(p[0]) for p in pairs], [p[1] for p in pairs]
        else:
            values, names = list(range(len(lines))), lines
        kept = [(v, n) for v, n in zip(values, names) if v not in ignore]
        return cls([v for v, _ in kept], [n for _, n in kept], ignore)

    def apply(self, raw: np.ndarray, where: str) -> np.ndarray:
        """Class ids of `raw` values; ValueError naming the values that are neither classes nor ignored."""
        raw = np.asarray(raw).astype(np.int64)
        present = np.unique(raw)
        unknown = [int(v) for v in present if int(v) not in self.lookup and int(v) not in self.ignore]
        if unknown:
            raise ValueError(
                f"{where}: label values {unknown[:20]} are not in the classes ({self.values[:20]}) nor --ignore "
                f"{list(self.ignore)}"
            )
        ids = np.full(len(raw), -1, dtype=np.int32)
        for value in present:
            if int(value) in self.lookup:
                ids[raw == value] = self.lookup[int(value)]
        return ids


@dataclass
class Input:
    path: str
    split: str | None  # from a train / val / test folder on the way to the file, else None
    scene: str


def find_inputs(inputs: list[str]) -> list[Input]:
    """Every point file named or found (recursively) under a named folder, with the split its folders give and a
    scene name from its path below the input (`a/b.ply` -> `a_b`)."""
    found = []
    for item in inputs:
        if os.path.isfile(item):
            found.append(Input(item, None, _stem(os.path.basename(item))))
            continue
        if not os.path.isdir(item):
            raise FileNotFoundError(f"input {item} does not exist")
        for folder, dirs, files in os.walk(item):
            dirs.sort()
            for name in sorted(files):
                if os.path.splitext(name)[1].lower() not in SUFFIXES or name.endswith(".labels.npy"):
                    continue
                relative = os.path.relpath(os.path.join(folder, name), item).split(os.sep)
                split = next((p for p in relative[:-1] if p in SPLITS), None)
                parts = [p for p in relative[:-1] if p not in SPLITS] + [_stem(relative[-1])]
                found.append(Input(os.path.join(folder, name), split, "_".join(parts)))
    return found


def _stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.splitext(name)[0])


def read_chunks(path: str, columns: list[str] | None, label_field: str | None) -> Iterator[dict[str, np.ndarray]]:
    """The scan as chunks of `coord` (float64), `color` (0-255), `normal` and `label` (raw values) where present.
    A missing label field is an error listing the fields there are."""
    if path.lower().endswith((".las", ".laz")):
        yield from _las_chunks(path, label_field)
        return
    fields = read_fields(path, columns)
    yield _chunk_from_fields(path, fields, label_field)


def _chunk_from_fields(path: str, fields: dict[str, np.ndarray], label_field: str | None) -> dict[str, np.ndarray]:
    if label_field is not None and label_field not in fields:
        raise PointCloudError(f"{path}: no label field {label_field!r}; the file has {sorted(fields)}")
    chunk = cloud_from_fields(path, fields)
    if label_field is not None:
        chunk["label"] = np.asarray(fields[label_field]).reshape(-1)
    return check_cloud(path, chunk)


def _las_chunks(path: str, label_field: str | None) -> Iterator[dict[str, np.ndarray]]:
    try:
        import laspy
    except ImportError as e:
        raise PointCloudError(f"{path}: reading .las / .laz needs laspy: pip install -e .[las]") from e
    try:
        reader = laspy.open(path)
    except Exception as e:
        raise PointCloudError(f"{path}: not a readable LAS / LAZ file ({e})") from e
    with reader:
        names = list(reader.header.point_format.dimension_names)
        if label_field is not None and label_field not in names:
            raise PointCloudError(f"{path}: no label field {label_field!r}; the file has {sorted(names)}")
        sixteen_bit = None  # decided once per file (LAS stores 16-bit colour, some writers 8-bit), not per chunk
        for points in reader.chunk_iterator(LAS_CHUNK):
            fields = dict(x=np.asarray(points.x), y=np.asarray(points.y), z=np.asarray(points.z))
            if label_field is not None:
                fields[label_field] = np.asarray(points[label_field])
            if all(c in names for c in ("red", "green", "blue")):
                color = np.stack([np.asarray(points[c]) for c in ("red", "green", "blue")], axis=1)
                sixteen_bit = bool(color.max() > 255) if sixteen_bit is None else sixteen_bit
                fields["color"] = (color // 257 if sixteen_bit else color).astype(np.uint8)
            yield _chunk_from_fields(path, fields, label_field)


@dataclass
class Scene:
    """The points of one output scene (a whole scan or one tile), accumulated chunk by chunk; with `spill` each
    chunk's part goes to a file there, so that a tiled scan holds one chunk and one tile in memory, not every tile."""

    name: str
    spill: str | None = None
    parts: list = field(default_factory=list)  # arrays, or the paths of spilled parts

    def add(self, chunk: dict[str, np.ndarray], grid: float | None) -> None:
        part = voxel_downsample(chunk, grid) if grid else chunk
        if self.spill is not None:
            path = os.path.join(self.spill, f"{self.name}.{len(self.parts)}.npz")
            np.savez(path, **part)
            part = path
        self.parts.append(part)

    def arrays(self, grid: float | None) -> dict[str, np.ndarray]:
        parts = [dict(np.load(p)) if isinstance(p, str) else p for p in self.parts]
        keys = set.intersection(*(set(p) for p in parts))
        merged = {k: np.concatenate([p[k] for p in parts]) for k in keys}
        for path in (p for p in self.parts if isinstance(p, str)):
            os.remove(path)
        return voxel_downsample(merged, grid) if grid and len(parts) > 1 else merged


def voxel_downsample(chunk: dict[str, np.ndarray], grid: float) -> dict[str, np.ndarray]:
    """The first point of every occupied `grid`-metre voxel."""
    cells = np.floor(chunk["coord"] / grid).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    first.sort()
    return {k: v[first] for k, v in chunk.items()}


def split_into_tiles(chunk: dict[str, np.ndarray], tile: float) -> dict[tuple[int, int], dict[str, np.ndarray]]:
    """The chunk's points by `tile`-metre cell on x, y, each tile's points in their order in the chunk."""
    cells = np.floor(chunk["coord"][:, :2] / tile).astype(np.int64)
    keys, inverse = np.unique(cells, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")  # one sort, not one mask over the whole chunk per tile
    groups = np.split(order, np.cumsum(np.bincount(inverse, minlength=len(keys)))[:-1])
    return {(int(i), int(j)): {k: v[index] for k, v in chunk.items()} for (i, j), index in zip(keys, groups)}


def scan_to_scenes(
    item: Input,
    columns: list[str] | None,
    label_field: str | None,
    grid: float | None,
    tile: float | None,
    on_chunk=None,
    spill: str | None = None,
) -> list[Scene]:
    """Read `item` chunk by chunk into one scene, or one per non-empty tile (`<scene>_<i>_<j>`), the tiles' parts
    spilled to files under `spill` when given."""
    scenes: dict[tuple[int, int] | None, Scene] = {}
    for chunk in read_chunks(item.path, columns, label_field):
        parts = split_into_tiles(chunk, tile) if tile else {None: chunk}
        for key, part in parts.items():
            name = item.scene if key is None else f"{item.scene}_{key[0]}_{key[1]}"
            scenes.setdefault(key, Scene(name, spill if tile else None)).add(part, grid)
        if on_chunk is not None:
            on_chunk(len(chunk["coord"]))
    return [scenes[k] for k in sorted(scenes, key=lambda k: (0, 0) if k is None else k)]


def finish_scene(
    arrays: dict[str, np.ndarray],
    fill_color: tuple[float, float, float] | None,
    where: str,
    normal_k: int = 16,
    orientation: str = "inward",
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Pointcept's arrays of a scene: float32 coordinates from the whole-metre lower corner (returned), uint8 colour
    (the file's or `fill_color`), float32 normals (the file's or estimated)."""
    coord = arrays["coord"]
    offset = np.floor(coord.min(axis=0))
    out = dict(coord=(coord - offset).astype(np.float32))
    if "color" in arrays:
        out["color"] = np.clip(np.round(arrays["color"]), 0, 255).astype(np.uint8)
    elif fill_color is not None:
        out["color"] = np.broadcast_to(np.asarray(fill_color, np.uint8), coord.shape).copy()
    else:
        raise PointCloudError(f"{where}: has no colour; pass --fill-color R G B (0-255) to use one colour throughout")
    out["normal"] = arrays["normal"] if "normal" in arrays else estimate_normals(coord, normal_k, orientation)
    return out, offset.tolist()


def write_scene(folder: str, arrays: dict[str, np.ndarray]) -> None:
    """All of a scene's files, or none: written into `<folder>.partial` and renamed."""
    partial = folder + ".partial"
    os.makedirs(partial, exist_ok=True)
    for key, value in arrays.items():
        np.save(os.path.join(partial, f"{key}.npy"), value)
    os.replace(partial, folder)


CUSTOM_CONFIGS = {  # --size -> the configs/custom/ pair the written configs inherit from
    "base": ("pretrain-pointcsp-v1m1-0-custom.py", "semseg-pointcsp-v1m1-0-custom.py"),
    "tiny": ("pretrain-pointcsp-v1m1-0-custom-tiny.py", "semseg-pointcsp-v1m1-0-custom-tiny.py"),
}


def custom_configs(
    configs_dir: str,
    size: str,
    data_root: str,
    names: list[str],
    eval_classes: list[int],
    splits: dict[str, list[str]],
    grid: float | None,
    header: str,
    normal_orientation: str = "inward",
) -> dict[str, str]:
    """The text of `pretrain.py` and `semseg.py` for a prepared dataset: `_base_` is the configs/custom/ pair of
    `size`; they restate the data sections with `data_root`, the splits, the classes and the model's grid (the
    base's, or the write-time `grid` where that is coarser), so that they run with `tools/train.sh -c` as they are.
    `splits`: `pretrain` (every split with scans) and `train` / `val` (the labelled ones)."""
    from pprint import pformat

    from .. import host

    if size not in CUSTOM_CONFIGS:
        raise ValueError(f"size must be one of {sorted(CUSTOM_CONFIGS)}, got {size!r}")
    texts = {}
    for kind, base_name in zip(("pretrain", "semseg"), CUSTOM_CONFIGS[size]):
        base_path = os.path.join(os.path.abspath(configs_dir), "custom", base_name)
        base = host.load_config(base_path)
        grid_size = max(base.grid_size, grid or 0.0)
        data = _with_grid(_plain(base.data), grid_size)
        lines = [header, f"_base_ = [{base_path!r}]", "", f"grid_size = {grid_size!r}"]
        if kind == "pretrain":
            data = dict(train=dict(data["train"], data_root=data_root, split=splits["pretrain"]))
            lines.append("model = dict(backbone=dict(grid_size=grid_size))")
        else:
            for stage in ("train", "val", "test"):
                data[stage] = dict(
                    data[stage], data_root=data_root, split=splits["train" if stage == "train" else "val"]
                )
            data.update(num_classes=len(names), names=list(names), eval_classes=list(eval_classes))
            lines += [
                f"num_classes = {len(names)}",
                f"normal_orientation = {normal_orientation!r}  # of the normals estimated here; predict.py follows it",
                "model = dict(num_classes=num_classes, backbone=dict(grid_size=grid_size))",
            ]
        lines += [f"data = {pformat(data, width=116, sort_dicts=False)}", ""]
        texts[kind] = "\n".join(lines)
    return texts


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _with_grid(value, grid_size: float):
    """`value` with the grid_size of every GridSample set to `grid_size`."""
    if isinstance(value, dict):
        out = {k: _with_grid(v, grid_size) for k, v in value.items()}
        if out.get("type") == "GridSample":
            out["grid_size"] = grid_size
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_with_grid(v, grid_size) for v in value)
    return value
