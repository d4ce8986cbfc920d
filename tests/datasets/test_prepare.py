"""pointcept_csp/datasets/prepare.py's geometry: tiles partition a chunk by x, y cell keeping each tile's points in
chunk order, and the voxel downsampling keeps the first point of every voxel."""

import numpy as np

from pointcept_csp.datasets.prepare import split_into_tiles, voxel_downsample


def test_tiles_partition_the_chunk_by_cell_in_order():
    coord = np.random.default_rng(0).random((5000, 3)) * 10 - 3
    tiles = split_into_tiles(dict(coord=coord, index=np.arange(5000)), 2.5)
    for (i, j), part in tiles.items():
        inside = (np.floor(coord[:, 0] / 2.5) == i) & (np.floor(coord[:, 1] / 2.5) == j)
        assert np.array_equal(part["index"], np.flatnonzero(inside)), (i, j)
    assert sum(len(p["index"]) for p in tiles.values()) == 5000


def test_voxel_downsample_keeps_the_first_point_of_each_voxel():
    coord = np.array([[0.01, 0, 0], [0.02, 0, 0], [0.3, 0, 0], [0.04, 0.01, 0]])
    kept = voxel_downsample(dict(coord=coord, index=np.arange(4)), 0.1)
    assert kept["index"].tolist() == [0, 2]
