"""Normals for clouds that come without them: PCA over the k nearest neighbours (the normal is the direction of least
variance, as ScanNet's and S3DIS's preprocessing estimate them), with an explicit orientation.

PCA gives a line, not a direction, so the sign is a convention, and a model sees the convention of its training data:
normals estimated at prediction time must follow the same one. `orientation`:

- `"inward"`: towards `viewpoint` (default: the cloud's centroid). A scanned room's walls, floor and ceiling face its
  inside, where the scanner stood; what `tools/prepare_data.py` writes by default.
- `"outward"`: away from the centroid; a single object's surface (the standalone host's ScanObjectNN reader).
- `"up"`: a non-negative z component; ../shared/data's ScanNet scans store their normals this way.

Configs name their training data's convention as `normal_orientation` (tools/predict.py reads it; see
`pointcept_csp.engines.predictor.normal_orientation`). Neighbours come from scipy's cKDTree, in chunks of `chunk`
points, so that the `[N, k]` neighbour table of a 10-million-point scan is never held at once.
"""

from __future__ import annotations

import numpy as np

ORIENTATIONS = ("inward", "outward", "up")


def estimate_normals(
    coord: np.ndarray,
    k: int = 16,
    orientation: str = "inward",
    viewpoint: np.ndarray | None = None,
    chunk: int = 500_000,
) -> np.ndarray:
    """Unit normals `[N, 3]` (float32) of `coord` `[N, 3]`, signed by `orientation` (see the module docstring)."""
    from scipy.spatial import cKDTree

    if orientation not in ORIENTATIONS:
        raise ValueError(f"normal orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    if viewpoint is not None and orientation != "inward":
        raise ValueError(f"a viewpoint orients normals 'inward' (towards it), not {orientation!r}")
    coord = np.asarray(coord, dtype=np.float64)
    if len(coord) < 3:
        raise ValueError(f"normal estimation needs at least 3 points, got {len(coord)}")
    if k < 3:
        raise ValueError(f"normal estimation needs k >= 3 neighbours, got {k}")
    k = min(k, len(coord))
    origin = coord.mean(axis=0)
    local = coord - origin  # centred: float64 covariances of scans far from the origin stay exact enough
    view = np.zeros(3) if viewpoint is None else np.asarray(viewpoint, dtype=np.float64) - origin
    tree = cKDTree(local)
    normals = np.empty((len(coord), 3), dtype=np.float32)
    for start in range(0, len(coord), chunk):
        points = local[start : start + chunk]
        _, neighbours = tree.query(points, k=k)
        patches = local[neighbours]  # [n, k, 3]
        patches = patches - patches.mean(axis=1, keepdims=True)
        covariance = np.einsum("nki,nkj->nij", patches, patches)
        _, vectors = np.linalg.eigh(covariance)  # eigenvalues ascending: column 0 has the least variance
        normal = vectors[:, :, 0]
        if orientation == "up":
            flip = normal[:, 2] < 0
        else:
            towards_view = np.einsum("ni,ni->n", normal, view - points)
            flip = towards_view < 0 if orientation == "inward" else towards_view > 0
        normal[flip] *= -1
        normals[start : start + chunk] = normal
    return normals
