"""Serialization of packed point batches: space-filling-curve codes per sample, token orders and their inverses.

Every sort key carries the sample index in its high bits, so ordering or shuffling keeps samples contiguous and in
batch order (`offset` is unchanged): the packed batch stays the batch-as-sequence that CSP reads.
"""

from __future__ import annotations

import torch

ORDERS = ("z", "z-trans", "hilbert", "hilbert-trans", "random")
DEPTH = 16  # bits per axis of the curve codes


def offset_to_batch(offset: torch.Tensor) -> torch.Tensor:
    """Pointcept's `offset` (cumulative ends) -> sample index of every point `[N]`."""
    lengths = torch.diff(offset.long(), prepend=offset.new_zeros(1).long())
    return torch.repeat_interleave(torch.arange(len(offset), device=offset.device), lengths)


def batch_to_offset(batch: torch.Tensor, num_samples: int) -> torch.Tensor:
    return torch.bincount(batch, minlength=num_samples).cumsum(0)


def _spread_bits(v: torch.Tensor, depth: int) -> torch.Tensor:
    """Place bit i of v at bit 3i."""
    out = torch.zeros_like(v)
    for i in range(depth):
        out |= ((v >> i) & 1) << (3 * i)
    return out


def z_order(grid: torch.Tensor, depth: int = DEPTH) -> torch.Tensor:
    """Morton code: bits interleaved x, y, z from the most significant level down (x highest)."""
    g = grid.long()
    return (_spread_bits(g[:, 0], depth) << 2) | (_spread_bits(g[:, 1], depth) << 1) | _spread_bits(g[:, 2], depth)


def hilbert(grid: torch.Tensor, depth: int = DEPTH) -> torch.Tensor:
    """3-D Hilbert index via Skilling's transpose algorithm ("Programming the Hilbert curve", AIP 2004)."""
    x = [grid[:, i].long().clone() for i in range(3)]
    # undo excess work: walk from the top bit down, inverting or exchanging low bits
    q = 1 << (depth - 1)
    while q > 1:
        p = q - 1
        for i in range(3):
            has_bit = (x[i] & q) != 0
            t = (x[0] ^ x[i]) & p
            x[0] = torch.where(has_bit, x[0] ^ p, x[0] ^ t)
            if i:
                x[i] = torch.where(has_bit, x[i], x[i] ^ t)
        q >>= 1
    # gray encode
    for i in range(1, 3):
        x[i] = x[i] ^ x[i - 1]
    t = torch.zeros_like(x[0])
    q = 1 << (depth - 1)
    while q > 1:
        t = torch.where((x[2] & q) != 0, t ^ (q - 1), t)
        q >>= 1
    x = [xi ^ t for xi in x]
    # the transposed index: level by level, x[0] carries the most significant bit
    return (_spread_bits(x[0], depth) << 2) | (_spread_bits(x[1], depth) << 1) | _spread_bits(x[2], depth)


def point_hash(grid: torch.Tensor) -> torch.Tensor:
    """A fixed pseudo-random key per grid cell: a deterministic 'shuffle' that depends on the point alone."""
    g = grid.long()
    h = (g[:, 0] * 73856093) ^ (g[:, 1] * 19349663) ^ (g[:, 2] * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    return (h ^ (h >> 16)) & ((1 << (3 * DEPTH)) - 1)


def encode(
    grid_coord: torch.Tensor,
    batch: torch.Tensor,
    order: str,
    generator: torch.Generator | None = None,
    deterministic: bool = True,
) -> torch.Tensor:
    """Sort key of every point for `order`: sample index in the high bits, the curve code (or a random key) below.

    `random` draws fresh keys when `deterministic=False` (training), else uses `point_hash`.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    grid = grid_coord.long()
    if grid.numel():
        # shift each sample to start at 0: a sample's order must not depend on what else is in the batch
        sample_min = grid.new_full((int(batch.max()) + 1, 3), 1 << 62)
        sample_min = sample_min.scatter_reduce(0, batch.long()[:, None].expand(-1, 3), grid, reduce="amin")
        grid = grid - sample_min[batch]
    if grid.numel() and int(grid.max()) >= 1 << DEPTH:
        raise ValueError(f"grid extent {int(grid.max())} exceeds {1 << DEPTH} cells; use a larger grid_size")
    if order.endswith("-trans"):
        grid = grid[:, [1, 0, 2]]
    if order.startswith("z"):
        code = z_order(grid)
    elif order.startswith("hilbert"):
        code = hilbert(grid)
    elif deterministic:
        code = point_hash(grid)
    else:
        code = torch.randint(0, 1 << (3 * DEPTH), (len(grid),), device=grid.device, generator=generator)
    return (batch.long() << (3 * DEPTH)) | code


def sort_order(keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Permutation that sorts `keys` (stable) and its inverse: `x[order][inverse] == x`."""
    order = torch.sort(keys, stable=True).indices
    return order, invert(order)


def invert(order: torch.Tensor) -> torch.Tensor:
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(len(order), device=order.device)
    return inverse
