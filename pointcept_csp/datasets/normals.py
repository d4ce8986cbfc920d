"""Normals for clouds that come without them: PCA over the k nearest neighbours (the normal is the direction of least
variance, as ScanNet's and S3DIS's preprocessing estimate them), oriented towards a viewpoint.

Orientation is a choice, since PCA gives a line, not a direction: each normal is flipped to point towards
`viewpoint`, by default the cloud's centroid. For a scanned room that turns walls, floor and ceiling towards the
inside, where the scanner stood; for a single object it points the normals inwards (pass a viewpoint outside the
object, or `-normal`, for outward ones). Neighbours come from scipy's cKDTree, in chunks of `chunk` points so that
the `[N, k]` neighbour table of a 10-million-point scan is never held at once.
"""

from __future__ import annotations

import numpy as np


def estimate_normals(
    coord: np.ndarray, k: int = 16, viewpoint: np.ndarray | None = None, chunk: int = 500_000
) -> np.ndarray:
    """Unit normals `[N, 3]` (float32) of `coord` `[N, 3]`, each pointing towards `viewpoint` (default: centroid)."""
    from scipy.spatial import cKDTree

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
        flip = np.einsum("ni,ni->n", normal, view - points) < 0
        normal[flip] *= -1
        normals[start : start + chunk] = normal
    return normals
