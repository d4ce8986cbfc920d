"""Procedural data, deterministic from a seed: indoor rooms with semantic and instance labels, and part-labelled
objects for classification / part segmentation. Used by the CPU demo and the tests; nothing is downloaded.

Rooms: floor, ceiling, four walls with a door and a window, then tables, chairs, shelves, boxes and sofas placed
without overlap, each built from boxes and sampled on its surfaces at a given density, with per-instance colour
shifts, colour noise, sensor noise (jitter) and occlusion holes. `write_rooms` saves them in Pointcept's ScanNet
(`segment20.npy`) or S3DIS (`Area_k/<room>/segment.npy`) layout, so Pointcept's own loaders read them too.
"""

from __future__ import annotations

import os

import numpy as np
import torch

ROOM_CLASSES = ("wall", "floor", "ceiling", "door", "window", "table", "chair", "shelf", "box", "sofa")
_CLASS = {name: i for i, name in enumerate(ROOM_CLASSES)}
_BASE_COLOR = dict(
    wall=(200, 195, 185),
    floor=(140, 110, 80),
    ceiling=(235, 235, 230),
    door=(120, 80, 50),
    window=(150, 190, 220),
    table=(170, 120, 70),
    chair=(60, 60, 70),
    shelf=(110, 90, 60),
    box=(180, 150, 100),
    sofa=(90, 40, 40),
)


def sample_box_surface(
    rng: np.random.Generator, center, size, yaw: float, density: float, skip_bottom: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Points and outward normals on the faces of a box (size = full extents), rotated by `yaw` about z."""
    center, half = np.asarray(center, float), np.asarray(size, float) / 2
    points, normals = [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            if skip_bottom and axis == 2 and sign < 0:
                continue
            other = [a for a in range(3) if a != axis]
            area = 4 * half[other[0]] * half[other[1]]
            n = rng.poisson(area * density)
            if n == 0:
                continue
            local = np.empty((n, 3))
            local[:, axis] = sign * half[axis]
            for a in other:
                local[:, a] = rng.uniform(-half[a], half[a], n)
            normal = np.zeros((n, 3))
            normal[:, axis] = sign
            points.append(local)
            normals.append(normal)
    if not points:
        return np.zeros((0, 3)), np.zeros((0, 3))
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    return np.concatenate(points) @ rot.T + center, np.concatenate(normals) @ rot.T


def _furniture_parts(rng: np.random.Generator, kind: str) -> tuple[list[tuple], tuple[float, float]]:
    """Boxes (center offset, size) in the object's frame, and its footprint; z = 0 is the floor."""
    if kind == "table":
        w, d, h = rng.uniform(0.8, 1.8), rng.uniform(0.6, 1.0), rng.uniform(0.7, 0.78)
        parts = [((0, 0, h - 0.02), (w, d, 0.04))]
        parts += [
            ((sx * (w / 2 - 0.05), sy * (d / 2 - 0.05), (h - 0.04) / 2), (0.05, 0.05, h - 0.04))
            for sx in (-1, 1)
            for sy in (-1, 1)
        ]
        return parts, (w, d)
    if kind == "chair":
        w, seat = rng.uniform(0.4, 0.55), rng.uniform(0.42, 0.48)
        parts = [((0, 0, seat), (w, w, 0.05)), ((0, -w / 2 + 0.03, seat + 0.25), (w, 0.05, 0.45))]
        parts += [
            ((sx * (w / 2 - 0.03), sy * (w / 2 - 0.03), seat / 2), (0.04, 0.04, seat))
            for sx in (-1, 1)
            for sy in (-1, 1)
        ]
        return parts, (w, w)
    if kind == "shelf":
        w, d, h = rng.uniform(0.8, 1.6), rng.uniform(0.3, 0.45), rng.uniform(1.5, 2.2)
        parts = [((sx * (w / 2 - 0.02), 0, h / 2), (0.04, d, h)) for sx in (-1, 1)]
        parts += [((0, 0, z), (w, d, 0.03)) for z in np.linspace(0.05, h - 0.02, rng.integers(4, 7))]
        parts += [((0, -d / 2 + 0.01, h / 2), (w, 0.02, h))]
        return parts, (w, d)
    if kind == "box":
        size = rng.uniform(0.3, 0.7, 3)
        return [((0, 0, size[2] / 2), tuple(size))], (size[0], size[1])
    if kind == "sofa":
        w, d = rng.uniform(1.6, 2.4), rng.uniform(0.8, 1.0)
        parts = [((0, 0, 0.22), (w, d, 0.44)), ((0, -d / 2 + 0.1, 0.6), (w, 0.2, 0.5))]
        parts += [((sx * (w / 2 - 0.1), 0, 0.55), (0.2, d, 0.3)) for sx in (-1, 1)]
        return parts, (w, d)
    raise ValueError(f"unknown furniture kind {kind!r}")


def generate_room(seed: int, density: float = 120.0, noise: float = 0.005, holes: int = 3) -> dict:
    """One room as Pointcept-style arrays: coord float32, color uint8, normal float32, segment / instance int16."""
    rng = np.random.default_rng(seed)
    W, L, H = rng.uniform(4.0, 7.0), rng.uniform(4.0, 7.0), rng.uniform(2.6, 3.1)
    pieces = []  # (points, normals, class name, instance id)

    def add(points, normals, name):
        if len(points):
            pieces.append((points, normals, name, len(pieces)))

    add(*sample_box_surface(rng, (W / 2, L / 2, 0), (W, L, 0), 0, density, skip_bottom=True), "floor")
    pts, nrm = sample_box_surface(rng, (W / 2, L / 2, H), (W, L, 0), 0, density * 0.5, skip_bottom=True)
    add(pts, -nrm, "ceiling")
    walls = [
        ((W / 2, 0, H / 2), (W, 0, H), (0, 1, 0)),
        ((W / 2, L, H / 2), (W, 0, H), (0, -1, 0)),
        ((0, L / 2, H / 2), (0, L, H), (1, 0, 0)),
        ((W, L / 2, H / 2), (0, L, H), (-1, 0, 0)),
    ]
    door_wall, window_wall = rng.choice(4, 2, replace=False)
    for i, (center, size, inward) in enumerate(walls):
        pts, _ = sample_box_surface(rng, center, size, 0, density, skip_bottom=False)
        inward = np.asarray(inward, float)
        along = 0 if size[0] > 0 else 1
        keep = np.ones(len(pts), bool)
        for kind, wall in (("door", door_wall), ("window", window_wall)):
            if i != wall:
                continue
            width, height = (0.9, 2.05) if kind == "door" else (rng.uniform(1.0, 1.8), rng.uniform(1.0, 1.4))
            lo_z = 0.0 if kind == "door" else rng.uniform(0.8, 1.0)
            start = rng.uniform(0.3, size[along] - width - 0.3)
            hole = (
                (pts[:, along] > start)
                & (pts[:, along] < start + width)
                & (pts[:, 2] > lo_z)
                & (pts[:, 2] < lo_z + height)
            )
            keep &= ~hole
            # the door / window sits a few centimetres proud of the wall plane
            box_center = np.array(center, float) + inward * 0.03
            box_center[along], box_center[2] = start + width / 2, lo_z + height / 2
            box_size = [width if a == along else (height if a == 2 else 0.0) for a in range(3)]
            p, _ = sample_box_surface(rng, box_center, box_size, 0, density, skip_bottom=False)
            add(p, np.tile(inward, (len(p), 1)), kind)
        add(pts[keep], np.tile(inward, (keep.sum(), 1)), "wall")
    placed: list[tuple[float, float, float, float]] = []
    for kind in rng.choice(["table", "chair", "chair", "shelf", "box", "sofa"], rng.integers(6, 12)):
        parts, (fw, fd) = _furniture_parts(rng, kind)
        for _ in range(20):
            yaw = rng.choice([0, np.pi / 2, np.pi, 3 * np.pi / 2]) + rng.normal(0, 0.05)
            ext = max(fw, fd) / 2 + 0.05
            cx, cy = rng.uniform(ext + 0.05, W - ext - 0.05), rng.uniform(ext + 0.05, L - ext - 0.05)
            if all(abs(cx - x) > ext + e or abs(cy - y) > ext + e for x, y, e, _ in placed):
                placed.append((cx, cy, ext, yaw))
                break
        else:
            continue
        c, s = np.cos(yaw), np.sin(yaw)
        obj_pts, obj_nrm = [], []
        for offset, size in parts:
            ox, oy, oz = offset
            p, n = sample_box_surface(rng, (cx + c * ox - s * oy, cy + s * ox + c * oy, oz), size, yaw, density * 1.5)
            obj_pts.append(p)
            obj_nrm.append(n)
        add(np.concatenate(obj_pts), np.concatenate(obj_nrm), kind)
    coord = np.concatenate([p[0] for p in pieces])
    normal = np.concatenate([p[1] for p in pieces])
    segment = np.concatenate([np.full(len(p[0]), _CLASS[p[2]]) for p in pieces])
    instance = np.concatenate([np.full(len(p[0]), p[3]) for p in pieces])
    color = np.concatenate(
        [
            np.clip(np.array(_BASE_COLOR[p[2]]) + rng.normal(0, 12, 3) + rng.normal(0, 6, (len(p[0]), 3)), 0, 255)
            for p in pieces
        ]
    )
    coord = coord + rng.normal(0, noise, coord.shape)
    keep = np.ones(len(coord), bool)
    for _ in range(holes):  # occlusion: drop points inside a few random balls
        center = coord[rng.integers(len(coord))]
        keep &= ((coord - center) ** 2).sum(1) > rng.uniform(0.2, 0.5) ** 2
    return dict(
        coord=coord[keep].astype(np.float32),
        color=color[keep].astype(np.uint8),
        normal=normal[keep].astype(np.float32),
        segment=segment[keep].astype(np.int16),
        instance=instance[keep].astype(np.int16),
    )


def training_crop(coord: np.ndarray, points: int, grid_size: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of a training crop as Pointcept's pipeline makes one: one random point per occupied `grid_size` cell
    (GridSample), then the `points` nearest to a random kept point (SphereCrop), all of them when fewer."""
    voxel = np.floor(coord / grid_size).astype(np.int64)
    order = rng.permutation(len(voxel))
    _, first = np.unique(voxel[order], axis=0, return_index=True)
    kept = order[first]
    if len(kept) > points:
        centre = coord[kept[rng.integers(len(kept))]]
        dist = ((coord[kept] - centre) ** 2).sum(1)
        kept = kept[np.argpartition(dist, points - 1)[:points]]
    return np.sort(kept)


def crop_sample(
    coord: np.ndarray,
    color: np.ndarray,
    normal: np.ndarray,
    points: int,
    grid_size: float,
    rng: np.random.Generator,
    segment: np.ndarray | None = None,
) -> dict:
    """A training crop (`training_crop`) as backbone input tensors: `coord` centre-shifted (xy mean, z min),
    `grid_coord` of the crop's cells, `feat` = colour in [-1, 1] + normal (+ `segment`)."""
    keep = training_crop(coord, points, grid_size, rng)
    xyz = coord[keep]
    voxel = np.floor(xyz / grid_size).astype(np.int64)
    centre = np.array([*xyz[:, :2].mean(0), xyz[:, 2].min()], dtype=np.float32)
    feat = np.concatenate([np.asarray(color[keep], np.float32) / 127.5 - 1, np.asarray(normal[keep], np.float32)], 1)
    out = dict(
        coord=torch.from_numpy((xyz - centre).astype(np.float32)),
        grid_coord=torch.from_numpy(voxel - voxel.min(0)),
        feat=torch.from_numpy(feat),
    )
    if segment is not None:
        out["segment"] = torch.from_numpy(np.asarray(segment[keep], np.int64))
    return out


def room_crops(
    count: int, points: int, grid_size: float, first_seed: int, density: float | None = None, labels: bool = False
) -> list[dict]:
    """`count` procedural rooms as training crops (`crop_sample`); `density` defaults to 1.5 points per cell of a
    surface, so the crops are dense at `grid_size`."""
    density = density or max(60.0, 1.5 / grid_size**2)
    crops = []
    for i in range(count):
        room = generate_room(first_seed + i, density=density)
        segment = room["segment"] if labels else None
        rng = np.random.default_rng(i)
        crops.append(crop_sample(room["coord"], room["color"], room["normal"], points, grid_size, rng, segment))
    return crops


def write_rooms(root: str, layout: str, splits: dict[str, list[int]], density: float = 120.0) -> list[str]:
    """Write rooms in Pointcept's on-disk layout: `layout="scannet"` -> `<root>/<split>/scene<seed>/segment20.npy`,
    `layout="s3dis"` -> `<root>/<split = Area_k>/room_<seed>/segment.npy`. Returns the sample folders."""
    if layout not in ("scannet", "s3dis"):
        raise ValueError(f"layout must be 'scannet' or 's3dis', got {layout!r}")
    written = []
    for split, seeds in splits.items():
        for seed in seeds:
            room = generate_room(seed, density=density)
            folder = os.path.join(root, split, f"scene{seed:04d}_00" if layout == "scannet" else f"room_{seed}")
            os.makedirs(folder, exist_ok=True)
            names = dict(room, segment20=room["segment"]) if layout == "scannet" else room
            for key in ("coord", "color", "normal", "instance", "segment20" if layout == "scannet" else "segment"):
                np.save(os.path.join(folder, f"{key}.npy"), names[key])
            written.append(folder)
    return written
