"""Native sparse ops: neighbour lookup and submanifold conv against brute force; grid pooling keeps samples apart."""

import pytest
import torch

from pointcept_csp.ops.sparse import grid_pool, neighbor_map, segment_mean, submanifold_conv, submanifold_conv_reference
from tests._utils import assert_close


def random_cells(n_per_sample, extent=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    grids, batches = [], []
    for b, n in enumerate(n_per_sample):
        cells = torch.randperm(extent**3, generator=g)[:n]
        grids.append(torch.stack([cells // extent**2, cells // extent % extent, cells % extent], 1) - 2)
        batches.append(torch.full((n,), b))
    return torch.cat(grids), torch.cat(batches)


def test_submanifold_conv_matches_brute_force_with_gradients():
    grid, batch = random_cells([40, 25])
    feat = torch.randn(len(grid), 4, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(27, 4, 3, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(3, dtype=torch.float64, requires_grad=True)
    out = submanifold_conv(feat, weight, neighbor_map(grid, batch), bias)
    ref = submanifold_conv_reference(feat, weight, grid, batch, bias)
    assert_close("out", out, ref, atol=1e-12)
    dy = torch.randn_like(out)
    for name, a, b in zip(
        ["dfeat", "dweight", "dbias"],
        torch.autograd.grad((out * dy).sum(), (feat, weight, bias)),
        torch.autograd.grad((ref * dy).sum(), (feat, weight, bias)),
    ):
        assert_close(name, a, b, atol=1e-12)


def test_neighbors_stay_within_their_sample_and_duplicates_raise():
    grid = torch.tensor([[0, 0, 0], [0, 0, 1], [0, 0, 0]])
    batch = torch.tensor([0, 0, 1])
    nbrs = neighbor_map(grid, batch)
    assert set(nbrs[2].tolist()) == {-1, 2}  # sample 1 sees only itself
    assert set(nbrs[0].tolist()) == {-1, 0, 1}
    with pytest.raises(ValueError, match="one point per grid cell"):
        neighbor_map(torch.tensor([[0, 0, 0], [0, 0, 0]]), torch.tensor([0, 0]))


def test_grid_pool_groups_cells_per_sample_in_batch_order():
    grid, batch = random_cells([30, 30, 5], seed=1)
    cluster, parent_grid, parent_batch = grid_pool(grid, batch, 2)
    assert torch.equal(parent_grid[cluster], torch.div(grid, 2, rounding_mode="floor"))
    assert torch.equal(parent_batch[cluster], batch)
    assert bool((parent_batch[1:] >= parent_batch[:-1]).all())
    x = torch.randn(len(grid), 2, dtype=torch.float64)
    means = segment_mean(x, cluster, len(parent_grid))
    for p in range(len(parent_grid)):
        assert_close(f"mean[{p}]", means[p], x[cluster == p].mean(0), atol=1e-12)
