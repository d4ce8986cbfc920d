"""permute_rows: the rows of x in a serialization order, with the gradient of advanced indexing."""

import pytest
import torch

from pointcept_csp.models.serialization import encode, sort_order
from pointcept_csp.ops.permute import permute_rows
from tests.helpers.common import assert_close


def test_permute_rows_equals_advanced_indexing_with_gradients():
    g = torch.Generator().manual_seed(0)
    grid = torch.randint(0, 20, (300, 3), generator=g)
    batch = torch.arange(300) // 120
    order, inverse = sort_order(encode(grid, batch, "hilbert"))
    x = torch.randn(300, 5, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(300, 5, dtype=torch.float64, generator=g)
    out = permute_rows(x, order, inverse)
    (grad,) = torch.autograd.grad((out * upstream).sum(), x)
    ref_x = x.detach().clone().requires_grad_()
    ref = ref_x[order]
    (ref * upstream).sum().backward()
    assert_close("rows", out, ref, atol=0)
    assert_close("grad", grad, ref_x.grad, atol=0)
    assert_close("round trip", permute_rows(out, inverse, order), x, atol=0)


def test_permute_rows_rejects_mismatched_lengths():
    x = torch.randn(10, 2)
    order = torch.randperm(10)
    with pytest.raises(ValueError, match=r"order and inverse must both be \[10\]"):
        permute_rows(x, order[:9], order)
    with pytest.raises(ValueError, match=r"order and inverse must both be \[10\]"):
        permute_rows(x, order, order[:9])
