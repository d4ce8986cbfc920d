"""Procedural part-labelled objects (a dozen classes) for classification and part segmentation on CPU, deterministic
from a seed. Each class is a set of primitives (box, cylinder, sphere, cone) with randomised proportions; a point's
`segment` is a global part id (as ShapeNetPart's 50 part ids), its `category` the class."""

from __future__ import annotations

import json
import os

import numpy as np

from .. import host

# class -> parts; each part: (name, primitive, builder(rng) -> (center, size)); sizes are full extents (x, y, z)
OBJECT_CLASSES = (
    "table",
    "chair",
    "lamp",
    "mug",
    "bottle",
    "airplane",
    "car",
    "bed",
    "guitar",
    "bowl",
    "shelf",
    "stool",
)


def _u(rng, lo, hi):
    return float(rng.uniform(lo, hi))


def _parts(rng: np.random.Generator, cls: str) -> list[tuple[str, str, tuple, tuple]]:
    """(part, primitive, center, size) for one instance of `cls`."""
    if cls in ("table", "stool"):
        w, d, h = (
            (_u(rng, 1.0, 1.6), _u(rng, 0.6, 1.0), _u(rng, 0.6, 0.8))
            if cls == "table"
            else (0.4, 0.4, _u(rng, 0.4, 0.7))
        )
        top = ("top", "box" if cls == "table" else "cylinder", (0, 0, h), (w, d, 0.05))
        legs = [
            ("leg", "cylinder", (sx * w * 0.4, sy * d * 0.4, h / 2), (0.05, 0.05, h))
            for sx in (-1, 1)
            for sy in (-1, 1)
        ]
        return [top] + legs
    if cls == "chair":
        w, s = _u(rng, 0.45, 0.6), _u(rng, 0.4, 0.5)
        return [
            ("seat", "box", (0, 0, s), (w, w, 0.06)),
            ("back", "box", (0, -w / 2, s + 0.3), (w, 0.05, _u(rng, 0.4, 0.6))),
        ] + [("leg", "box", (sx * w * 0.42, sy * w * 0.42, s / 2), (0.04, 0.04, s)) for sx in (-1, 1) for sy in (-1, 1)]
    if cls == "lamp":
        h = _u(rng, 0.8, 1.4)
        return [
            ("base", "cylinder", (0, 0, 0.03), (0.3, 0.3, 0.06)),
            ("pole", "cylinder", (0, 0, h / 2), (0.03, 0.03, h)),
            ("shade", "cone", (0, 0, h), (_u(rng, 0.3, 0.5), _u(rng, 0.3, 0.5), 0.3)),
        ]
    if cls == "mug":
        r, h = _u(rng, 0.3, 0.45), _u(rng, 0.5, 0.8)
        return [
            ("body", "cylinder", (0, 0, h / 2), (r, r, h)),
            ("handle", "box", (r * 0.6, 0, h / 2), (0.08, 0.05, h * 0.6)),
        ]
    if cls == "bottle":
        r, h = _u(rng, 0.2, 0.35), _u(rng, 0.6, 1.0)
        return [
            ("body", "cylinder", (0, 0, h / 2), (r, r, h)),
            ("neck", "cylinder", (0, 0, h + 0.15), (r / 3, r / 3, 0.3)),
        ]
    if cls == "airplane":
        L, span = _u(rng, 1.5, 2.0), _u(rng, 1.4, 2.2)
        return [
            ("fuselage", "cylinder_x", (0, 0, 0), (L, 0.2, 0.2)),
            ("wing", "box", (0, 0, 0), (0.4, span, 0.04)),
            ("tail", "box", (-L / 2 + 0.1, 0, 0.15), (0.25, 0.5, 0.3)),
        ]
    if cls == "car":
        L, W = _u(rng, 1.6, 2.2), _u(rng, 0.8, 1.0)
        return [
            ("body", "box", (0, 0, 0.35), (L, W, 0.35)),
            ("roof", "box", (-0.1, 0, 0.65), (L * 0.5, W * 0.9, 0.25)),
        ] + [
            ("wheel", "cylinder_y", (sx * L * 0.32, sy * W / 2, 0.15), (0.3, 0.1, 0.3))
            for sx in (-1, 1)
            for sy in (-1, 1)
        ]
    if cls == "bed":
        L, W = _u(rng, 1.8, 2.1), _u(rng, 0.9, 1.6)
        return [
            ("frame", "box", (0, 0, 0.2), (L, W, 0.25)),
            ("mattress", "box", (0, 0, 0.42), (L * 0.95, W * 0.95, 0.2)),
            ("headboard", "box", (-L / 2, 0, 0.55), (0.06, W, _u(rng, 0.6, 1.0))),
        ]
    if cls == "guitar":
        r = _u(rng, 0.35, 0.45)
        return [
            ("body", "cylinder", (0, 0, 0), (r, r * 1.3, 0.1)),
            ("neck", "box", (0, r * 1.3, 0), (0.08, _u(rng, 0.8, 1.0), 0.05)),
        ]
    if cls == "bowl":
        r = _u(rng, 0.4, 0.6)
        return [("body", "cone", (0, 0, 0.25), (r, r, 0.25)), ("foot", "cylinder", (0, 0, 0.02), (r / 2, r / 2, 0.04))]
    if cls == "shelf":
        w, d, h = _u(rng, 0.8, 1.2), _u(rng, 0.3, 0.4), _u(rng, 1.2, 1.8)
        levels = int(rng.integers(3, 6))
        return [("side", "box", (sx * w / 2, 0, h / 2), (0.04, d, h)) for sx in (-1, 1)] + [
            ("board", "box", (0, 0, z), (w, d, 0.03)) for z in np.linspace(0.02, h, levels)
        ]
    raise ValueError(f"unknown object class {cls!r}")


PART_NAMES = tuple(
    dict.fromkeys(f"{cls}/{part[0]}" for cls in OBJECT_CLASSES for part in _parts(np.random.default_rng(0), cls))
)
_PART_ID = {name: i for i, name in enumerate(PART_NAMES)}


def _sample_primitive(rng, kind: str, center, size, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n points and normals on a primitive's surface; cylinders / cones have their axis along z (or x / y)."""
    half = np.asarray(size, float) / 2
    if kind == "box":
        axis = rng.choice(3, n, p=_face_weights(half))
        sign = rng.choice([-1.0, 1.0], n)
        local = rng.uniform(-1, 1, (n, 3)) * half
        local[np.arange(n), axis] = sign * half[axis]
        normal = np.zeros((n, 3))
        normal[np.arange(n), axis] = sign
    else:
        axis_dim = {"cylinder": 2, "cone": 2, "cylinder_x": 0, "cylinder_y": 1, "sphere": 2}[kind]
        other = [a for a in range(3) if a != axis_dim]
        theta = rng.uniform(0, 2 * np.pi, n)
        t = rng.uniform(-1, 1, n)
        radius = 1 - (t + 1) / 2 * 0.6 if kind == "cone" else (np.sqrt(1 - t**2) if kind == "sphere" else np.ones(n))
        local = np.zeros((n, 3))
        local[:, other[0]] = np.cos(theta) * radius * half[other[0]]
        local[:, other[1]] = np.sin(theta) * radius * half[other[1]]
        local[:, axis_dim] = t * half[axis_dim]
        normal = np.zeros((n, 3))
        normal[:, other[0]], normal[:, other[1]] = np.cos(theta), np.sin(theta)
    return local + np.asarray(center, float), normal


def _face_weights(half: np.ndarray) -> np.ndarray:
    areas = np.array([half[1] * half[2], half[0] * half[2], half[0] * half[1]]) + 1e-9
    return areas / areas.sum()


def generate_object(seed: int, cls: str | None = None, num_points: int = 1024, noise: float = 0.005) -> dict:
    """One object: coord (centred, in the unit ball) and normal float32, category, segment (global part ids)."""
    rng = np.random.default_rng(seed)
    cls = OBJECT_CLASSES[seed % len(OBJECT_CLASSES)] if cls is None else cls
    parts = _parts(rng, cls)
    areas = np.array([np.prod(np.sort(np.asarray(size))[1:]) + 1e-3 for _, _, _, size in parts])
    counts = rng.multinomial(num_points, areas / areas.sum())
    coords, normals, labels = [], [], []
    for (name, kind, center, size), n in zip(parts, counts):
        p, nrm = _sample_primitive(rng, kind, center, size, n)
        coords.append(p)
        normals.append(nrm)
        labels.append(np.full(n, _PART_ID[f"{cls}/{name}"]))
    coord = np.concatenate(coords)
    coord = coord - coord.mean(0)
    coord = coord / np.linalg.norm(coord, axis=1).max() + rng.normal(0, noise, coord.shape)
    yaw = rng.uniform(0, 2 * np.pi)
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    return dict(
        coord=(coord @ rot.T).astype(np.float32),
        normal=(np.concatenate(normals) @ rot.T).astype(np.float32),
        category=np.array([OBJECT_CLASSES.index(cls)]),
        segment=np.concatenate(labels).astype(np.int64),
    )


@host.DATASETS.register_module()
class SyntheticObjectsDataset(host.DefaultDataset):
    """Objects generated on the fly, `num_objects` per split (disjoint seeds), classes in turn.

    Sample keys: coord, normal, category `[1]`, segment (part ids), name.
    """

    def __init__(self, num_objects: int = 120, num_points: int = 1024, seed: int = 0, split: str = "train", **kwargs):
        self.num_objects, self.num_points, self.base_seed = num_objects, num_points, seed
        offsets = {"train": 0, "val": 1_000_000, "test": 2_000_000}
        if split not in offsets:
            raise ValueError(f"split must be one of {sorted(offsets)}, got {split!r}")
        self.split_offset = offsets[split]
        kwargs.setdefault("data_root", "synthetic")
        super().__init__(split=split, **kwargs)

    def get_data_list(self):
        return [f"object_{self.base_seed + self.split_offset + i}" for i in range(self.num_objects)]

    def get_data_name(self, idx):
        return self.data_list[idx % len(self.data_list)]

    def get_data(self, idx):
        seed = self.base_seed + self.split_offset + idx % len(self.data_list)
        obj = generate_object(seed, OBJECT_CLASSES[idx % len(self.data_list) % len(OBJECT_CLASSES)], self.num_points)
        obj["name"], obj["split"] = self.get_data_name(idx), self.split
        return obj


OBJECT_LAYOUTS = ("modelnet", "scanobjectnn", "shapenetpart")


def write_objects(root: str, layout: str, splits: dict[str, list[int]], class_names: list[str], num_points: int = 256):
    """Write generated objects in the on-disk layout of Pointcept's ModelNetDataset, ScanObjectNNDataset or
    ShapeNetPartDataset (small test data; part ids are the generator's, categories index `class_names`)."""
    if layout not in OBJECT_LAYOUTS:
        raise ValueError(f"layout must be one of {OBJECT_LAYOUTS}, got {layout!r}")
    os.makedirs(root, exist_ok=True)
    objects = {
        split: [(seed, generate_object(seed, num_points=num_points)) for seed in seeds]
        for split, seeds in splits.items()
    }

    def name_of(obj):
        return class_names[int(obj["category"][0]) % len(class_names)]

    if layout == "modelnet":
        for split, items in objects.items():
            names = []
            for seed, obj in items:
                shape = name_of(obj)
                os.makedirs(os.path.join(root, shape), exist_ok=True)
                names.append(f"{shape}_{seed:04d}")
                table = np.concatenate([obj["coord"], obj["normal"]], 1)
                np.savetxt(os.path.join(root, shape, names[-1] + ".txt"), table, delimiter=",", fmt="%.6f")
            with open(os.path.join(root, f"modelnet40_{split}.txt"), "w") as f:
                f.write("\n".join(names) + "\n")
    elif layout == "scanobjectnn":
        import h5py

        files = {"train": "training_objectdataset.h5", "test": "test_objectdataset.h5"}
        for split, items in objects.items():
            with h5py.File(os.path.join(root, files[split]), "w") as f:
                f["data"] = np.stack([obj["coord"] for _, obj in items])
                f["label"] = np.array([int(obj["category"][0]) % len(class_names) for _, obj in items])
    else:
        tokens = [f"{i:08d}" for i in range(len(class_names))]
        with open(os.path.join(root, "synsetoffset2category.txt"), "w") as f:
            f.write("".join(f"{name}\t{token}\n" for name, token in zip(class_names, tokens)))
        os.makedirs(os.path.join(root, "train_test_split"), exist_ok=True)
        for split, items in objects.items():
            entries = []
            for seed, obj in items:
                token = tokens[int(obj["category"][0]) % len(class_names)]
                os.makedirs(os.path.join(root, token), exist_ok=True)
                table = np.concatenate([obj["coord"], obj["normal"], obj["segment"][:, None] % 50], 1)
                np.savetxt(os.path.join(root, token, f"{seed:06d}.txt"), table, fmt="%.6f")
                entries.append(f"shape_data/{token}/{seed:06d}")
            with open(os.path.join(root, "train_test_split", f"shuffled_{split}_file_list.json"), "w") as f:
                json.dump(entries, f)
