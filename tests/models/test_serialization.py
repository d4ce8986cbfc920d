"""Serialization: codes sort within samples only, curves are permutations (Hilbert steps to adjacent cells),
shuffle + inverse is the identity, orders do not depend on the rest of the batch."""

import pytest
import torch

from pointcept_csp.models.serialization import encode, offset_to_batch, sort_order


def cube(n=8):
    return torch.stack(torch.meshgrid(*[torch.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3)


@pytest.mark.parametrize("order", ["z", "z-trans", "hilbert", "hilbert-trans", "random"])
def test_orders_are_permutations_within_samples(order):
    grid = torch.cat([cube(4), cube(4) + 3, cube(4)])
    offset = torch.tensor([64, 128, 192])
    batch = offset_to_batch(offset)
    perm, inverse = sort_order(encode(grid, batch, order, deterministic=False))
    assert torch.equal(torch.sort(perm).values, torch.arange(192))
    assert torch.equal(batch[perm], batch)  # samples stay contiguous, in batch order
    x = torch.randn(192, 5)
    assert torch.equal(x[perm][inverse], x)


@pytest.mark.parametrize("order", ["hilbert", "hilbert-trans"])
def test_hilbert_visits_adjacent_cells(order):
    grid = cube(8)
    perm, _ = sort_order(encode(grid, torch.zeros(512, dtype=torch.long), order))
    steps = (grid[perm][1:] - grid[perm][:-1]).abs().sum(-1)
    assert bool((steps == 1).all())


def test_z_order_is_morton_interleave():
    grid = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]])
    code = encode(grid, torch.zeros(4, dtype=torch.long), "z")
    assert code.tolist() == [4, 2, 1, 7]


def test_order_of_a_sample_ignores_the_rest_of_the_batch():
    a = cube(4) + 10
    other = cube(4) - 7
    for order in ["z", "hilbert", "random"]:
        alone, _ = sort_order(encode(a, torch.zeros(64, dtype=torch.long), order))
        both, _ = sort_order(encode(torch.cat([other, a]), offset_to_batch(torch.tensor([64, 128])), order))
        assert torch.equal(both[64:] - 64, alone), order
