"""Sparse ops: neighbour lookup and submanifold conv against brute force (native torch; spconv where installed);
grid pooling keeps samples apart."""

import pytest
import torch

from pointcept_csp.models.sparse_conv import SubMConv3d
from pointcept_csp.ops.sparse import (
    SparseGrid,
    grid_pool,
    neighbor_map,
    offset_pairs,
    segment_mean,
    submanifold_conv,
    submanifold_conv_reference,
)
from pointcept_csp.ops.sparse_spconv import has_spconv, submanifold_conv_spconv
from tests.helpers.common import assert_close, requires_cuda
from tests.helpers.inputs import random_cells

requires_spconv = pytest.mark.skipif(not has_spconv(), reason="spconv is not installed (pip install -e .[cu120])")


@pytest.mark.parametrize("tile_rows", [None, 7, 1], ids=["one-tile", "tiles-of-7", "tiles-of-1"])
def test_submanifold_conv_matches_brute_force_with_gradients(tile_rows):
    grid, batch = random_cells([40, 25])
    feat = torch.randn(len(grid), 4, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(27, 4, 3, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(3, dtype=torch.float64, requires_grad=True)
    pairs = offset_pairs(neighbor_map(grid, batch), tile_rows)
    if tile_rows is not None:  # every connection once, in tiles of output rows
        tiles = [(k, dst) for k, dst, _ in pairs.pairs if dst is not None]
        assert max(len(dst) for _, dst in tiles) <= tile_rows
        assert all(int(dst.max()) // tile_rows == int(dst.min()) // tile_rows for _, dst in tiles)
        assert sum(len(dst) for _, dst in tiles) == int((neighbor_map(grid, batch) >= 0).sum()) - len(grid)
    out = submanifold_conv(feat, weight, pairs, bias)
    ref = submanifold_conv_reference(feat, weight, grid, batch, bias)
    assert_close("out", out, ref, atol=1e-12)
    dy = torch.randn_like(out)
    for name, a, b in zip(
        ["dfeat", "dweight", "dbias"],
        torch.autograd.grad((out * dy).sum(), (feat, weight, bias)),
        torch.autograd.grad((ref * dy).sum(), (feat, weight, bias)),
    ):
        assert_close(name, a, b, atol=1e-12)


def test_submanifold_conv_under_bf16_autocast_matches_float32():
    """AMP runs the native conv in bf16 (the index_add of a bf16 product into a float32 sum used to raise); the
    gradients come back in the parameters' float32."""
    grid, batch = random_cells([60, 45])
    feat = torch.randn(len(grid), 16, requires_grad=True)
    weight = torch.randn(27, 16, 8, requires_grad=True)
    nbrs = offset_pairs(neighbor_map(grid, batch))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = submanifold_conv(feat, weight, nbrs)
    assert out.dtype == torch.bfloat16
    ref = submanifold_conv(feat, weight, nbrs)
    assert ((out.float() - ref).norm() / ref.norm()).item() < 2e-2
    dy = torch.randn_like(ref)
    grads = torch.autograd.grad((out.float() * dy).sum(), (feat, weight))
    ref_grads = torch.autograd.grad((ref * dy).sum(), (feat, weight))
    for name, a, b in zip(["dfeat", "dweight"], grads, ref_grads):
        assert a.dtype == torch.float32, f"{name}: dtype {a.dtype}"
        assert ((a - b).norm() / b.norm()).item() < 2e-2, name


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


def test_conv_module_shares_one_neighbour_map_per_grid_and_matches_brute_force():
    grid, batch = random_cells([30, 20], seed=2)
    sparse_grid = SparseGrid(grid, batch)
    convs = [SubMConv3d(4, 4, 3).double() for _ in range(2)]
    feat = torch.randn(len(grid), 4, dtype=torch.float64)
    out = convs[1](convs[0](feat, sparse_grid), sparse_grid)
    assert len(sparse_grid._neighbors) == 1  # built once, reused by the second conv
    ref = submanifold_conv_reference(feat, convs[0].weight, grid, batch, convs[0].bias)
    ref = submanifold_conv_reference(ref, convs[1].weight, grid, batch, convs[1].bias)
    assert_close("two convs", out, ref, atol=1e-12)


def test_offset_pairs_rejects_bad_tile_rows():
    grid, batch = random_cells([10])
    with pytest.raises(ValueError, match="tile_rows must be a positive number of rows, got 0"):
        offset_pairs(neighbor_map(grid, batch), 0)


def test_conv_backend_is_checked():
    with pytest.raises(ValueError, match="conv backend must be one of"):
        SubMConv3d(2, 2, backend="spconv2")
    grid, batch = random_cells([5])
    conv = SubMConv3d(2, 2, backend="spconv")
    with pytest.raises(RuntimeError, match="spconv"):  # not installed, or installed but the tensor is on the CPU
        conv(torch.randn(5, 2), SparseGrid(grid, batch))


def spconv_case(device):
    grid, batch = random_cells([60, 45, 1], extent=7, seed=3)
    feat = torch.randn(len(grid), 8, device=device, requires_grad=True)
    weight = torch.randn(27, 8, 16, device=device, requires_grad=True)
    bias = torch.randn(16, device=device, requires_grad=True)
    return grid.to(device), batch.to(device), feat, weight, bias


@requires_cuda
@requires_spconv
def test_spconv_matches_native_on_cuda_with_gradients():
    grid, batch, feat, weight, bias = spconv_case("cuda")
    sparse_grid = SparseGrid(grid, batch)
    out = submanifold_conv_spconv(feat, weight, sparse_grid.spconv_base(feat), bias)
    ref = submanifold_conv(feat, weight, sparse_grid.offset_pairs(), bias)
    assert_close("spconv out", out, ref, atol=1e-3, rtol=1e-3)
    dy = torch.randn_like(out)
    for name, a, b in zip(
        ["dfeat", "dweight", "dbias"],
        torch.autograd.grad((out * dy).sum(), (feat, weight, bias)),
        torch.autograd.grad((ref * dy).sum(), (feat, weight, bias)),
    ):
        assert_close(name, a, b, atol=1e-2, rtol=1e-3)


def test_radius_nearest_matches_brute_force(monkeypatch):
    """The nearest reference point of the same sample within the radius, else -1; queries in several passes."""
    from pointcept_csp.ops import sparse

    monkeypatch.setattr(sparse, "QUERY_CHUNK", 37)
    g = torch.Generator().manual_seed(0)
    ref, query = torch.rand(300, 3, generator=g) * 2, torch.rand(150, 3, generator=g) * 2
    ref_batch, query_batch = torch.randint(0, 2, (300,), generator=g), torch.randint(0, 2, (150,), generator=g)
    radius = 0.2
    found = sparse.radius_nearest(query, query_batch, ref, ref_batch, radius)
    dist = torch.cdist(query, ref).masked_fill(query_batch[:, None] != ref_batch[None], float("inf"))
    d_min, j = dist.min(dim=1)
    expected = torch.where(d_min <= radius, j, torch.full_like(j, -1))
    assert (expected >= 0).sum() > 50 and (expected < 0).sum() > 5  # both cases occur
    assert torch.equal(found, expected)
