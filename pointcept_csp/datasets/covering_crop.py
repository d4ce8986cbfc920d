"""CoveringSphereCrop: cut a test scene into crops of at most `point_max` points whose union covers every point, the
voxel_max x votes protocol of DeLA / CamPoint (the paper's S3DIS 88.2 mIoU). Pointcept's SphereCrop has no such mode
(its `mode="all"` raises for large rooms), so the plugin registers its own, for both hosts."""

from __future__ import annotations

import numpy as np

from .. import host


@host.TRANSFORMS.register_module("CoveringSphereCrop")
class CoveringSphereCrop:
    """Returns a list of crops: each new crop holds the `point_max` points nearest to the first point that no crop
    covers yet. Every per-point array (first dimension = the point count: coordinates, features, `index`,
    `grid_coord`, ...) is cut; other entries are shared. A scene of at most `point_max` points is one crop."""

    def __init__(self, point_max: int = 30000) -> None:
        if point_max < 1:
            raise ValueError(f"point_max must be >= 1, got {point_max}")
        self.point_max = point_max

    def __call__(self, data_dict: dict) -> list[dict]:
        coord = np.asarray(data_dict["coord"])
        n = len(coord)
        if n <= self.point_max:
            return [data_dict]
        per_point = [k for k, v in data_dict.items() if isinstance(v, np.ndarray) and v.ndim and len(v) == n]
        covered = np.zeros(n, dtype=bool)
        crops = []
        while not covered.all():
            center = coord[np.flatnonzero(~covered)[0]]
            keep = np.sort(np.argpartition(((coord - center) ** 2).sum(1), self.point_max - 1)[: self.point_max])
            covered[keep] = True
            crop = {k: (v[keep] if k in per_point else v) for k, v in data_dict.items()}
            crops.append(crop)
        return crops
