"""Reordering the rows of a token tensor by a permutation (a serialization order and its inverse).

`x[order]` is advanced indexing: on CPU it copies element by element and its backward is an accumulating
`index_put_`; forward and backward together take 1.2-2.7x as long as here (tools/bench/bench_cpu_paths.py). A
permutation needs no accumulation at all: the gradient of `x[order]` is `grad[inverse]`, one more gather.
"""

from __future__ import annotations

import torch


class _PermuteRows(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, order, inverse):
        ctx.save_for_backward(inverse)
        return x.index_select(0, order)

    @staticmethod
    def backward(ctx, grad):
        (inverse,) = ctx.saved_tensors
        return grad.index_select(0, inverse), None, None


def permute_rows(x: torch.Tensor, order: torch.Tensor, inverse: torch.Tensor) -> torch.Tensor:
    """`x[order]` for a permutation `order` of the rows of x whose inverse is `inverse` (`order[inverse] == arange`).

    The caller vouches that the two are inverse permutations (`serialization.sort_order` returns such pairs); the
    check would cost as much as the gather, so only the lengths are checked here.
    """
    if order.shape != (x.shape[0],) or inverse.shape != order.shape:
        raise ValueError(
            f"order and inverse must both be [{x.shape[0]}] for x of shape {tuple(x.shape)}, got "
            f"{tuple(order.shape)} and {tuple(inverse.shape)}"
        )
    return _PermuteRows.apply(x, order, inverse)
