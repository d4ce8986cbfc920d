"""The mixer's tiled L2 normalisation against its autograd formula: values and gradients, across tile edges, on a
column slice (as the mixer passes it), with a clamped row."""

import pytest
import torch

from pointcept_csp.ops import norms
from pointcept_csp.ops.norms import l2_normalize, l2_normalize_reference
from tests.helpers.common import assert_close


@pytest.fixture(params=[3, 4096], ids=["tiles-of-3", "one-tile"])
def tile(request, monkeypatch):
    monkeypatch.setattr(norms, "TILE_TOKENS", request.param)


def grads(out, inputs, upstream):
    return torch.autograd.grad((out * upstream).sum(), inputs)


def test_l2_normalize_matches_autograd_formula(tile):
    g = torch.Generator().manual_seed(0)
    base = torch.randn(1, 10, 12, dtype=torch.float64, generator=g)
    base[0, 4, 2:6] = 1e-14  # one head of one token has a norm below eps: clamped there
    x = base[..., 2:10].view(1, 10, 2, 4).requires_grad_()  # a column slice, not contiguous
    upstream = torch.randn(1, 10, 2, 4, dtype=torch.float64, generator=g)
    out, ref = l2_normalize(x), l2_normalize_reference(x)
    assert_close("y", out, ref, atol=1e-14)
    assert_close("norms", out.norm(dim=-1)[0, torch.arange(10) != 4], torch.ones(9, 2, dtype=torch.float64), atol=1e-14)
    assert_close("dx", grads(out, x, upstream)[0], grads(ref, x, upstream)[0], atol=1e-12)


def test_l2_normalize_rejects_unpacked_inputs():
    with pytest.raises(ValueError, match=r"packed as \[1, T, \.\.\., K\]"):
        l2_normalize(torch.randn(5, 4))
