"""Multi-region augmentation (PointCSP, Sec. "DINO-style CSP + multi-region augmentation").

From a scene, a candidate region P^r covering `candidate_ratio` (~60%) of the points is cut; inside it `global_num`
global sub-regions P^g covering `global_ratio` (40-80%) and `local_num` local sub-regions P^l covering `local_ratio`
(10-30%) of the candidate are sampled; all views are centred on points of the first global view, so they overlap
it. Each view keeps the original coordinates of its points (`origin_coord`), so
the model can match points across views, and gets its own transforms. Output keys follow Pointcept's multi-view
convention (`global_coord`, `global_origin_coord`, ..., `global_offset` = cumulative view sizes within the sample;
the same with `local_`), so Pointcept's `Collect` and collate work unchanged.

Objects (`mode="object"`): global views by voxel sampling to a fixed point count, local views around centres chosen
by farthest-point sampling, each the `object_local_points` nearest points.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from .. import host


def nearest(coord: np.ndarray, center: np.ndarray, count: int, shape: str) -> np.ndarray:
    """Indices of the `count` points nearest to `center`: a ball (`sphere`, L2) or an axis-aligned cube (L_inf)."""
    diff = np.abs(coord - center)
    dist = (diff**2).sum(1) if shape == "sphere" else diff.max(1)
    count = min(count, len(coord))
    return np.sort(np.argpartition(dist, count - 1)[:count])


def farthest_point_sampling(coord: np.ndarray, count: int, start: int) -> np.ndarray:
    chosen = [start]
    dist = ((coord - coord[start]) ** 2).sum(1)
    for _ in range(count - 1):
        nxt = int(dist.argmax())
        chosen.append(nxt)
        dist = np.minimum(dist, ((coord - coord[nxt]) ** 2).sum(1))
    return np.array(chosen)


@host.TRANSFORMS.register_module()
class MultiRegionCrop:
    """Cut global and local views from one sample.

    Args:
        global_num, local_num (int): n global and m local views. Default: 2, 8 (the paper's).
        candidate_ratio (float): share of the scene's points in the candidate region. Default: 0.6.
        global_ratio, local_ratio (tuple): ranges of a view's share of the candidate. Default: (0.4, 0.8), (0.1, 0.3).
        global_max_points, local_max_points (int): caps on a view's size (nearest points to its centre are kept).
        min_points (int): smallest view allowed; smaller inputs raise. Default: 16.
        crop_shape (str): "sphere" or "cube" regions. Default: "sphere".
        mode (str): "scene" or "object". Default: "scene".
        object_voxel_size (float), object_global_points, object_local_points (int): object-mode sampling.
        view_keys (Sequence[str]): per-point keys copied into every view.
        shared_transform, global_transform, local_transform (list): transform configs applied to the whole sample
            once, then to each global / local view.
    """

    def __init__(
        self,
        global_num: int = 2,
        local_num: int = 8,
        candidate_ratio: float = 0.6,
        global_ratio: Sequence[float] = (0.4, 0.8),
        local_ratio: Sequence[float] = (0.1, 0.3),
        global_max_points: int = 65536,
        local_max_points: int = 16384,
        min_points: int = 16,
        crop_shape: str = "sphere",
        mode: str = "scene",
        object_voxel_size: float = 0.02,
        object_global_points: int = 1024,
        object_local_points: int = 256,
        view_keys: Sequence[str] = ("coord", "origin_coord", "color", "normal"),
        shared_transform=None,
        global_transform=None,
        local_transform=None,
    ) -> None:
        if crop_shape not in ("sphere", "cube"):
            raise ValueError(f"crop_shape must be 'sphere' or 'cube', got {crop_shape!r}")
        if mode not in ("scene", "object"):
            raise ValueError(f"mode must be 'scene' or 'object', got {mode!r}")
        for name, (lo, hi) in (("global_ratio", global_ratio), ("local_ratio", local_ratio)):
            if not 0 < lo <= hi <= 1:
                raise ValueError(f"{name} must satisfy 0 < low <= high <= 1, got {(lo, hi)}")
        if global_num < 1 or local_num < 0:
            raise ValueError(f"need global_num >= 1 and local_num >= 0, got {global_num}, {local_num}")
        self.global_num, self.local_num = global_num, local_num
        self.candidate_ratio, self.global_ratio, self.local_ratio = (
            candidate_ratio,
            tuple(global_ratio),
            tuple(local_ratio),
        )
        self.global_max_points, self.local_max_points, self.min_points = global_max_points, local_max_points, min_points
        self.crop_shape, self.mode = crop_shape, mode
        self.object_voxel_size = object_voxel_size
        self.object_global_points, self.object_local_points = object_global_points, object_local_points
        self.view_keys = tuple(view_keys)
        self.shared_transform = [host.TRANSFORMS.build(c) for c in shared_transform or []]
        self.global_transform = [host.TRANSFORMS.build(c) for c in global_transform or []]
        self.local_transform = [host.TRANSFORMS.build(c) for c in local_transform or []]

    def __call__(self, data_dict: dict) -> dict:
        coord = data_dict["coord"]
        name = data_dict.get("name", "<unnamed>")
        if "origin_coord" in self.view_keys and "origin_coord" not in data_dict:
            data_dict["origin_coord"] = coord.copy()
        needed = (
            self.min_points / (self.candidate_ratio * self.local_ratio[0]) if self.mode == "scene" else self.min_points
        )
        if len(coord) < needed:
            raise ValueError(
                f"MultiRegionCrop: sample {name!r} has {len(coord)} points; a {self.mode} needs at least "
                f"{int(np.ceil(needed))} so that every view keeps min_points={self.min_points}"
            )
        scene = _apply(self.shared_transform, copy.deepcopy(data_dict))
        if len(scene["coord"]) != len(coord):
            raise ValueError(
                "MultiRegionCrop: shared_transform must keep every point (it changed the count from "
                f"{len(coord)} to {len(scene['coord'])}); drop points before MultiRegionCrop instead"
            )
        if self.mode == "scene":
            _, global_idx, local_idx = self.scene_views(coord)
        else:
            global_idx, local_idx = self.object_views(coord)
        views = {}
        for prefix, indices, transforms in (
            ("global", global_idx, self.global_transform),
            ("local", local_idx, self.local_transform),
        ):
            if not indices:
                continue
            pieces = [_apply(transforms, {k: scene[k][idx] for k in self.view_keys if k in scene}) for idx in indices]
            for key in self.view_keys:
                if key in scene:
                    views[f"{prefix}_{key}"] = np.concatenate([p[key] for p in pieces])
            views[f"{prefix}_offset"] = np.cumsum([len(p["coord"]) for p in pieces])
        data_dict.update(views)
        return data_dict

    def scene_views(self, coord: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """Indices (into the scene) of the candidate region and of the global and local views inside it."""
        candidate = nearest(
            coord, coord[np.random.randint(len(coord))], int(self.candidate_ratio * len(coord)), self.crop_shape
        )
        cand_coord = coord[candidate]

        def view(ratio_range, cap, center):
            size = min(max(int(np.random.uniform(*ratio_range) * len(candidate)), self.min_points), cap)
            return candidate[nearest(cand_coord, center, size, self.crop_shape)]

        # the first global view is placed anywhere in the candidate; every other view is centred on one of its
        # points, so each view overlaps it and L_CSC always finds counterparts
        major = view(self.global_ratio, self.global_max_points, cand_coord[np.random.randint(len(candidate))])
        globals_ = [major] + [
            view(self.global_ratio, self.global_max_points, coord[np.random.choice(major)])
            for _ in range(self.global_num - 1)
        ]
        # local centres favour points of the first view that no local view covers yet, so locals spread out
        covered = np.zeros(len(coord), dtype=bool)
        locals_ = []
        for _ in range(self.local_num):
            free = major[~covered[major]]
            idx = view(self.local_ratio, self.local_max_points, coord[np.random.choice(free if len(free) else major)])
            covered[idx] = True
            locals_.append(idx)
        return candidate, globals_, locals_

    def object_views(self, coord: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Global views: one random point per voxel, resampled to a fixed count; local: FPS centres + kNN."""
        globals_ = []
        for _ in range(self.global_num):
            shifted = coord + np.random.uniform(0, self.object_voxel_size, 3)
            cells = np.floor(shifted / self.object_voxel_size).astype(np.int64)
            order = np.random.permutation(len(coord))
            _, first = np.unique(cells[order], axis=0, return_index=True)
            picked = order[first]
            replace = len(picked) < self.object_global_points
            globals_.append(np.sort(np.random.choice(picked, self.object_global_points, replace=replace)))
        centers = (
            farthest_point_sampling(coord, self.local_num, np.random.randint(len(coord))) if self.local_num else []
        )
        locals_ = [nearest(coord, coord[c], self.object_local_points, "sphere") for c in centers]
        return globals_, locals_


def _apply(transforms: list, data: dict) -> dict:
    for t in transforms:
        data = t(data)
    return data
