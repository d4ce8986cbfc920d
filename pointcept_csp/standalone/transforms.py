"""Point transforms for the standalone host, under Pointcept's names, arguments and key conventions.

Written from the documented behaviour of Pointcept's transforms (no code copied). They act on a sample dict of numpy
arrays; per-point keys listed in `index_valid_keys` are indexed together when points are dropped or selected.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from .builder import TRANSFORMS

DEFAULT_POINT_KEYS = ("coord", "color", "normal", "strength", "segment", "instance", "superpoint", "origin_coord")


def point_keys(data_dict: dict) -> list[str]:
    keys = data_dict.get("index_valid_keys", DEFAULT_POINT_KEYS)
    return [k for k in keys if k in data_dict]


def select(data_dict: dict, index: np.ndarray, copy_dict: bool = False) -> dict:
    """Index every per-point key with `index`; with `copy_dict` return a new dict and keep the input."""
    out = dict(data_dict) if copy_dict else data_dict
    for key in point_keys(data_dict):
        out[key] = data_dict[key][index]
    return out


def select_keeping_labelled(data_dict: dict, index: np.ndarray) -> tuple[np.ndarray, dict]:
    """`select` that also keeps the points of `sampled_index` (the data-efficient benchmark's labelled points, which
    a random subsample must not drop) and re-indexes it into the kept points. Returns the index used and the dict."""
    if "sampled_index" in data_dict:
        labelled = np.zeros(len(data_dict["coord"]), dtype=bool)
        labelled[data_dict["sampled_index"]] = True
        index = np.union1d(index, np.flatnonzero(labelled))
        data_dict["sampled_index"] = np.flatnonzero(labelled[index])
    return index, select(data_dict, index)


class Compose:
    """Apply transform configs (or callables) in order; `None` or `[]` is the identity."""

    def __init__(self, cfgs: Sequence | None = None) -> None:
        self.transforms = [c if callable(c) else TRANSFORMS.build(c) for c in (cfgs or [])]

    def __call__(self, data_dict):
        for t in self.transforms:
            data_dict = t(data_dict)
        return data_dict


@TRANSFORMS.register_module()
class Collect:
    """Keep `keys`, add `offset` (one entry per sample) and build concatenated features from `*_keys` arguments,
    e.g. `feat_keys=("color", "normal")` -> `feat`."""

    def __init__(self, keys, offset_keys_dict: dict | None = None, **kwargs) -> None:
        self.keys = (keys,) if isinstance(keys, str) else tuple(keys)
        self.offset_keys = dict(offset="coord") if offset_keys_dict is None else dict(offset_keys_dict)
        self.feat_keys = kwargs

    def __call__(self, data_dict):
        missing = [k for k in self.keys if k not in data_dict]
        if missing:
            raise KeyError(f"Collect: keys {missing} are not in the sample; it has {sorted(data_dict)}")
        data = {key: data_dict[key] for key in self.keys}
        for key, source in self.offset_keys.items():
            data[key] = torch.tensor([data_dict[source].shape[0]])
        for name, keys in self.feat_keys.items():
            if not name.endswith("_keys"):
                raise TypeError(f"Collect: unexpected argument '{name}' (feature groups are named '<name>_keys')")
            data[name[: -len("_keys")]] = torch.cat([torch.as_tensor(data_dict[k]).float() for k in keys], dim=1)
        return data


@TRANSFORMS.register_module()
class Copy:
    def __init__(self, keys_dict: dict | None = None) -> None:
        self.keys_dict = dict(coord="origin_coord", segment="origin_segment") if keys_dict is None else keys_dict

    def __call__(self, data_dict):
        for key, target in self.keys_dict.items():
            data_dict[target] = copy.deepcopy(data_dict[key])
        return data_dict


@TRANSFORMS.register_module()
class ToTensor:
    """numpy -> torch: integers to int64, floats to float32, bools kept; strings and tensors unchanged."""

    def __call__(self, data):
        if isinstance(data, (torch.Tensor, str)):
            return data
        if isinstance(data, bool):
            return torch.tensor([data])
        if isinstance(data, int):
            return torch.LongTensor([data])
        if isinstance(data, float):
            return torch.FloatTensor([data])
        if isinstance(data, np.ndarray):
            if data.dtype == bool:
                return torch.from_numpy(data)
            if np.issubdtype(data.dtype, np.integer):
                return torch.from_numpy(data).long()
            if np.issubdtype(data.dtype, np.floating):
                return torch.from_numpy(data).float()
        if isinstance(data, Mapping):
            return {k: self(v) for k, v in data.items()}
        if isinstance(data, Sequence):
            return [self(v) for v in data]
        raise TypeError(f"ToTensor cannot convert {type(data).__name__}")


@TRANSFORMS.register_module()
class NormalizeColor:
    """RGB 0..255 -> -1..1."""

    def __call__(self, data_dict):
        if "color" in data_dict:
            data_dict["color"] = data_dict["color"] / 127.5 - 1
        return data_dict


@TRANSFORMS.register_module()
class CenterShift:
    """Move the bounding-box centre to the origin in x, y; in z move the floor to 0 when `apply_z`."""

    def __init__(self, apply_z: bool = True) -> None:
        self.apply_z = apply_z

    def __call__(self, data_dict):
        coord = data_dict["coord"]
        lo, hi = coord.min(0), coord.max(0)
        shift = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2] if self.apply_z else 0], dtype=coord.dtype)
        data_dict["coord"] = coord - shift
        return data_dict


@TRANSFORMS.register_module()
class RandomDropout:
    """With probability `dropout_application_ratio`, keep a random (1 - dropout_ratio) share of the points."""

    def __init__(self, dropout_ratio: float = 0.2, dropout_application_ratio: float = 0.5) -> None:
        self.dropout_ratio, self.application_ratio = dropout_ratio, dropout_application_ratio

    def __call__(self, data_dict):
        if np.random.rand() < self.application_ratio:
            n = len(data_dict["coord"])
            keep = np.sort(np.random.choice(n, int(n * (1 - self.dropout_ratio)), replace=False))
            select_keeping_labelled(data_dict, keep)
        return data_dict


@TRANSFORMS.register_module()
class RandomRotate:
    """Rotate about `axis` by U(angle) * pi around `center` (default: bounding-box centre), with probability p."""

    def __init__(self, angle=None, center=None, axis: str = "z", always_apply: bool = False, p: float = 0.5) -> None:
        self.angle = [-1, 1] if angle is None else angle
        self.center, self.axis, self.always_apply, self.p = center, axis, always_apply, p

    def __call__(self, data_dict):
        if not self.always_apply and np.random.rand() > self.p:
            return data_dict
        theta = np.random.uniform(*self.angle) * np.pi
        c, s = np.cos(theta), np.sin(theta)
        rot = {
            "x": [[1, 0, 0], [0, c, -s], [0, s, c]],
            "y": [[c, 0, s], [0, 1, 0], [-s, 0, c]],
            "z": [[c, -s, 0], [s, c, 0], [0, 0, 1]],
        }[self.axis]
        rot = np.array(rot, dtype=np.float32)
        coord = data_dict["coord"]
        center = (coord.min(0) + coord.max(0)) / 2 if self.center is None else np.array(self.center, dtype=np.float32)
        data_dict["coord"] = ((coord - center) @ rot.T + center).astype(coord.dtype)
        if "normal" in data_dict:
            data_dict["normal"] = (data_dict["normal"] @ rot.T).astype(data_dict["normal"].dtype)
        return data_dict


@TRANSFORMS.register_module()
class RandomScale:
    def __init__(self, scale=None, anisotropic: bool = False) -> None:
        self.scale = [0.95, 1.05] if scale is None else scale
        self.anisotropic = anisotropic

    def __call__(self, data_dict):
        factor = np.random.uniform(*self.scale, 3 if self.anisotropic else 1)
        data_dict["coord"] = (data_dict["coord"] * factor).astype(data_dict["coord"].dtype)
        return data_dict


@TRANSFORMS.register_module()
class RandomFlip:
    """Mirror x, and independently y, each with probability p (normals follow)."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, data_dict):
        for axis in (0, 1):
            if np.random.rand() < self.p:
                for key in ("coord", "normal"):
                    if key in data_dict:
                        data_dict[key] = data_dict[key].copy()
                        data_dict[key][:, axis] = -data_dict[key][:, axis]
        return data_dict


@TRANSFORMS.register_module()
class RandomJitter:
    def __init__(self, sigma: float = 0.01, clip: float = 0.05) -> None:
        self.sigma, self.clip = sigma, clip

    def __call__(self, data_dict):
        noise = np.clip(self.sigma * np.random.randn(*data_dict["coord"].shape), -self.clip, self.clip)
        data_dict["coord"] = (data_dict["coord"] + noise).astype(data_dict["coord"].dtype)
        return data_dict


@TRANSFORMS.register_module()
class ChromaticAutoContrast:
    """With probability p, blend colours with their per-channel min-max stretch (blend factor random if None)."""

    def __init__(self, p: float = 0.2, blend_factor: float | None = None) -> None:
        self.p, self.blend_factor = p, blend_factor

    def __call__(self, data_dict):
        if "color" in data_dict and np.random.rand() < self.p:
            color = data_dict["color"]
            lo, hi = color.min(0, keepdims=True), color.max(0, keepdims=True)
            stretched = (color - lo) * (255 / np.maximum(hi - lo, 1e-6))
            blend = np.random.rand() if self.blend_factor is None else self.blend_factor
            data_dict["color"] = ((1 - blend) * color + blend * stretched).astype(color.dtype)
        return data_dict


@TRANSFORMS.register_module()
class ChromaticTranslation:
    def __init__(self, p: float = 0.95, ratio: float = 0.05) -> None:
        self.p, self.ratio = p, ratio

    def __call__(self, data_dict):
        if "color" in data_dict and np.random.rand() < self.p:
            shift = (np.random.rand(1, 3) - 0.5) * 255 * 2 * self.ratio
            data_dict["color"] = np.clip(data_dict["color"] + shift, 0, 255).astype(data_dict["color"].dtype)
        return data_dict


@TRANSFORMS.register_module()
class ChromaticJitter:
    def __init__(self, p: float = 0.95, std: float = 0.005) -> None:
        self.p, self.std = p, std

    def __call__(self, data_dict):
        if "color" in data_dict and np.random.rand() < self.p:
            noise = np.random.randn(*data_dict["color"].shape) * self.std * 255
            data_dict["color"] = np.clip(data_dict["color"] + noise, 0, 255).astype(data_dict["color"].dtype)
        return data_dict


def _box_blur(grid: np.ndarray, axis: int) -> np.ndarray:
    padded = np.concatenate([grid.take([0], axis), grid, grid.take([-1], axis)], axis)
    n = grid.shape[axis]
    return (
        padded.take(range(0, n), axis) + padded.take(range(1, n + 1), axis) + padded.take(range(2, n + 2), axis)
    ) / 3


def _trilinear(grid: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Sample `grid [X, Y, Z, C]` at fractional cell positions `pos [N, 3]`."""
    upper = np.array(grid.shape[:3]) - 1
    base = np.clip(np.floor(pos).astype(np.int64), 0, upper - 1)
    frac = np.clip(pos - base, 0, 1)
    out = 0
    for corner in np.ndindex(2, 2, 2):
        weight = np.prod(np.where(np.array(corner), frac, 1 - frac), axis=1, keepdims=True)
        idx = base + np.array(corner)
        out = out + weight * grid[idx[:, 0], idx[:, 1], idx[:, 2]]
    return out


@TRANSFORMS.register_module()
class ElasticDistortion:
    """Smooth random displacement fields (granularity g metres, magnitude m) added to the coordinates, one per
    `[g, m]` pair in `distortion_params` (Choy et al.'s augmentation), applied with probability 0.95."""

    def __init__(self, distortion_params=None) -> None:
        self.params = [[0.2, 0.4], [0.8, 1.6]] if distortion_params is None else distortion_params

    def __call__(self, data_dict):
        if np.random.rand() > 0.95:
            return data_dict
        coord = data_dict["coord"]
        for granularity, magnitude in self.params:
            lo = coord.min(0)
            dims = ((coord.max(0) - lo) // granularity).astype(int) + 3
            noise = np.random.randn(*dims, 3).astype(np.float32)
            for _ in range(2):
                for axis in range(3):
                    noise = _box_blur(noise, axis)
            coord = coord + _trilinear(noise, (coord - lo) / granularity + 1) * magnitude
        data_dict["coord"] = coord.astype(data_dict["coord"].dtype)
        return data_dict


def fnv_hash(arr: np.ndarray) -> np.ndarray:
    """64-bit FNV-1 hash of each row of a non-negative integer array."""
    arr = arr.astype(np.uint64)
    hashed = np.full(arr.shape[0], np.uint64(14695981039346656037), dtype=np.uint64)
    for j in range(arr.shape[1]):
        hashed = (hashed * np.uint64(1099511628211)) ^ arr[:, j]
    return hashed


def ravel_hash(arr: np.ndarray) -> np.ndarray:
    arr = arr - arr.min(0)
    dims = arr.max(0).astype(np.uint64) + 1
    return np.ravel_multi_index(arr.T.astype(np.int64), dims.astype(np.int64)).astype(np.uint64)


HASHES = {"fnv": fnv_hash, "ravel": ravel_hash}  # Pointcept's two cell hashes


@TRANSFORMS.register_module()
class GridSample:
    """Voxelise at `grid_size`. `train` mode keeps one random point per occupied voxel (with `return_inverse`, each
    original point's index into the kept points); `test` mode returns fragments, fragment i holding the i-th point
    of every voxel (cycled), so that together they cover every point, each fragment one point per voxel, with
    `index` pointing back to the original points."""

    def __init__(
        self,
        grid_size: float = 0.05,
        hash_type: str = "fnv",
        mode: str = "train",
        return_inverse: bool = False,
        return_grid_coord: bool = False,
        return_min_coord: bool = False,
    ) -> None:
        if mode not in ("train", "test"):
            raise ValueError(f"GridSample mode must be 'train' or 'test', got {mode!r}")
        if hash_type not in HASHES:
            raise ValueError(f"GridSample hash_type must be one of {sorted(HASHES)}, got {hash_type!r}")
        self.grid_size, self.mode = grid_size, mode
        self.hash = HASHES[hash_type]
        self.return_inverse, self.return_grid_coord, self.return_min_coord = (
            return_inverse,
            return_grid_coord,
            return_min_coord,
        )

    def __call__(self, data_dict):
        scaled = data_dict["coord"] / np.array(self.grid_size)
        grid_coord = np.floor(scaled).astype(np.int64)
        min_coord = grid_coord.min(0)
        grid_coord -= min_coord
        keys = self.hash(grid_coord)
        order = np.argsort(keys, kind="stable")
        _, inverse_sorted, count = np.unique(keys[order], return_inverse=True, return_counts=True)
        starts = np.cumsum(np.insert(count, 0, 0)[:-1])
        if self.mode == "train":
            pick = order[starts + np.random.randint(0, count.max(), count.size) % count]
            pick, out = select_keeping_labelled(data_dict, pick)
            if self.return_inverse:
                inverse = np.zeros_like(inverse_sorted)
                inverse[order] = inverse_sorted
                out["inverse"] = inverse
            if self.return_grid_coord:
                out["grid_coord"] = grid_coord[pick]
                _add_point_key(out, "grid_coord")
            if self.return_min_coord:
                out["min_coord"] = min_coord.reshape(1, 3)
            return out
        fragments = []
        for i in range(count.max()):
            pick = order[starts + i % count]
            part = select(data_dict, pick, copy_dict=True)
            part["index"] = pick
            if self.return_grid_coord:
                part["grid_coord"] = grid_coord[pick]
                _add_point_key(part, "grid_coord")
            if self.return_min_coord:
                part["min_coord"] = min_coord.reshape(1, 3)
            fragments.append(part)
        return fragments


def _add_point_key(data_dict: dict, key: str) -> None:
    keys = list(data_dict.get("index_valid_keys", DEFAULT_POINT_KEYS))
    if key not in keys:
        data_dict["index_valid_keys"] = keys + [key]


@TRANSFORMS.register_module()
class SphereCrop:
    """Keep at most `point_max` (or `sample_rate` x N) points nearest to a centre: a random point (`random`) or the
    middle point (`center`). For crops that cover a whole test scene use `CoveringSphereCrop`."""

    def __init__(self, point_max: int = 80000, sample_rate: float | None = None, mode: str = "random") -> None:
        if mode not in ("random", "center"):
            hint = "; to cover a whole test scene use CoveringSphereCrop" if mode == "all" else ""
            raise ValueError(f"SphereCrop mode must be 'random' or 'center', got {mode!r}{hint}")
        self.point_max, self.sample_rate, self.mode = point_max, sample_rate, mode

    def __call__(self, data_dict):
        coord = data_dict["coord"]
        limit = int(self.sample_rate * len(coord)) if self.sample_rate is not None else self.point_max
        if len(coord) <= limit:
            return data_dict
        center = coord[np.random.randint(len(coord))] if self.mode == "random" else coord[len(coord) // 2]
        keep = np.sort(np.argsort(((coord - center) ** 2).sum(1))[:limit])
        return select(data_dict, keep)


@TRANSFORMS.register_module()
class ShufflePoint:
    def __call__(self, data_dict):
        return select(data_dict, np.random.permutation(len(data_dict["coord"])))


@TRANSFORMS.register_module()
class NormalizeCoord:
    """Centre on the centroid and scale into the unit ball (object datasets)."""

    def __call__(self, data_dict):
        coord = data_dict["coord"] - data_dict["coord"].mean(0)
        data_dict["coord"] = (coord / max(np.linalg.norm(coord, axis=1).max(), 1e-12)).astype(data_dict["coord"].dtype)
        return data_dict


@TRANSFORMS.register_module()
class RandomShift:
    def __init__(self, shift=((-0.2, 0.2), (-0.2, 0.2), (0, 0))) -> None:
        self.shift = shift

    def __call__(self, data_dict):
        offset = np.array([np.random.uniform(lo, hi) for lo, hi in self.shift], dtype=data_dict["coord"].dtype)
        data_dict["coord"] = data_dict["coord"] + offset
        return data_dict
