"""Sparse neighbourhoods on integer grid coordinates in native torch: hashed lookup, submanifold convolution and
grid pooling. Points of different samples never meet: the sample index is part of every key.

This is the CPU path and the reference for spconv's SubMConv3d (`ops.sparse_spconv`), which computes the same product.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch

COORD_BITS = 16  # per axis; the sample index takes the bits above 3 * COORD_BITS
QUERY_CHUNK = 16384  # radius_nearest's queries per pass (bounds its [queries, 27, points per cell] candidates)
# the native conv's output rows per tile: tiles keep a conv's gathers and scatter-adds in cache (faster at 64k points,
# equal at 8k: docs/benchmarks.md, measured by tools/bench/bench_cpu_paths.py)
TILE_ROWS = 8192


def kernel_offsets(kernel_size: int = 3, device: torch.device | None = None) -> torch.Tensor:
    """`[K^3, 3]` offsets in lexicographic (dx, dy, dz) order, e.g. (-1,-1,-1), (-1,-1,0), ..., (1,1,1)."""
    r = kernel_size // 2
    return torch.tensor(list(itertools.product(range(-r, r + 1), repeat=3)), device=device, dtype=torch.long)


def grid_keys(grid_coord: torch.Tensor, batch: torch.Tensor, margin: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Unique int64 keys for (sample, x, y, z); coordinates are shifted by `margin - min` so neighbours stay >= 0.

    Returns the keys `[N]` and the shift that was applied `[3]` (use it for query coordinates).
    """
    if grid_coord.dim() != 2 or grid_coord.shape[1] != 3:
        raise ValueError(f"grid_coord must be [N, 3], got {tuple(grid_coord.shape)}")
    grid = grid_coord.long()
    shift = margin - grid.min(dim=0).values if grid.numel() else grid.new_zeros(3)
    grid = grid + shift
    extent = int(grid.max()) + margin if grid.numel() else 0
    if extent >= 1 << COORD_BITS:
        raise ValueError(f"grid extent {extent} exceeds {1 << COORD_BITS} cells per axis; use a larger grid_size")
    keys = (
        (batch.long() << (3 * COORD_BITS)) | (grid[:, 0] << (2 * COORD_BITS)) | (grid[:, 1] << COORD_BITS) | grid[:, 2]
    )
    return keys, shift


def neighbor_map(grid_coord: torch.Tensor, batch: torch.Tensor, kernel_size: int = 3) -> torch.Tensor:
    """`[N, K^3]` index of the point at each kernel offset of every point (same sample), or -1 where empty.

    Requires unique (sample, grid_coord) pairs; raises otherwise.
    """
    r = kernel_size // 2
    keys, shift = grid_keys(grid_coord, batch, margin=r)
    sorted_keys, order = keys.sort()
    if sorted_keys.numel() > 1 and bool((sorted_keys[1:] == sorted_keys[:-1]).any()):
        raise ValueError("neighbor_map needs one point per grid cell and sample; pool duplicates first")
    offsets = kernel_offsets(kernel_size, grid_coord.device)
    query = grid_coord.long()[:, None, :] + shift + offsets[None]  # [N, K^3, 3]
    qkeys = (
        (batch.long()[:, None] << (3 * COORD_BITS))
        | (query[..., 0] << (2 * COORD_BITS))
        | (query[..., 1] << COORD_BITS)
        | query[..., 2]
    )
    pos = torch.searchsorted(sorted_keys, qkeys).clamp(max=max(len(keys) - 1, 0))
    found = sorted_keys[pos] == qkeys
    return torch.where(found, order[pos], torch.full_like(pos, -1))


@dataclass
class OffsetPairs:
    """A neighbour map as the native conv reads it: `(k, dst, src)`, the output rows `dst` and the input rows `src`
    that kernel offset k connects, for each offset with at least one neighbour. The centre offset of a submanifold
    conv connects every point to itself: it is stored once as `(k, None, None)` and read without a gather. The other
    offsets come in tiles of output rows (`TILE_ROWS`), tile after tile, so that the gathers and scatter-adds of one
    tile stay in cache."""

    kernel_volume: int
    pairs: list[tuple[int, torch.Tensor | None, torch.Tensor | None]]


def offset_pairs(neighbors: torch.Tensor, tile_rows: int | None = None) -> OffsetPairs:
    """`[N, K^3]` neighbour map (`neighbor_map`) -> `OffsetPairs`, in tiles of `tile_rows` output rows (default
    `TILE_ROWS`)."""
    tile_rows = TILE_ROWS if tile_rows is None else tile_rows
    if tile_rows < 1:
        raise ValueError(f"tile_rows must be a positive number of rows, got {tile_rows}")
    num, volume = neighbors.shape
    centre = volume // 2
    per_offset = []
    for k in range(volume):
        idx = neighbors[:, k]
        dst = (idx >= 0).nonzero().squeeze(1)
        if k != centre and dst.numel():
            per_offset.append((k, dst, idx[dst]))
    pairs = [(centre, None, None)] if num else []
    edges = torch.arange(0, num + tile_rows, tile_rows, device=neighbors.device).clamp_(max=num)
    cuts = [torch.searchsorted(dst, edges).tolist() for _, dst, _ in per_offset]  # dst is sorted
    for tile in range(len(edges) - 1):
        for (k, dst, src), cut in zip(per_offset, cuts):
            a, b = cut[tile], cut[tile + 1]
            if b > a:
                pairs.append((k, dst[a:b], src[a:b]))
    return OffsetPairs(volume, pairs)


class SparseGrid:
    """The occupied cells of one resolution, (sample, grid_coord) per point, and the neighbour structures that every
    submanifold conv at this resolution shares, each built on first use: the hashed `neighbor_map` and its
    `offset_pairs` (native conv) or spconv's index pairs (`ops.sparse_spconv`)."""

    def __init__(self, grid_coord: torch.Tensor, batch: torch.Tensor) -> None:
        self.grid_coord, self.batch = grid_coord, batch
        self._neighbors: dict[int, torch.Tensor] = {}
        self._pairs: dict[int, OffsetPairs] = {}
        self._spconv_base = None

    def neighbors(self, kernel_size: int = 3) -> torch.Tensor:
        if kernel_size not in self._neighbors:
            self._neighbors[kernel_size] = neighbor_map(self.grid_coord, self.batch, kernel_size)
        return self._neighbors[kernel_size]

    def offset_pairs(self, kernel_size: int = 3) -> OffsetPairs:
        if kernel_size not in self._pairs:
            self._pairs[kernel_size] = offset_pairs(self.neighbors(kernel_size))
        return self._pairs[kernel_size]

    def spconv_base(self, feat: torch.Tensor):
        if self._spconv_base is None:
            from .sparse_spconv import spconv_tensor

            self._spconv_base = spconv_tensor(feat, self.grid_coord, self.batch)
        return self._spconv_base


class _SubmanifoldConv(torch.autograd.Function):
    """Sum over kernel offsets of gather -> GEMM -> scatter-add (the centre offset: one GEMM, no gather). Backward
    re-gathers instead of keeping the k^3 gathered copies of the input that autograd would store (27x the feature
    memory for a 3x3x3 kernel).

    Under autocast the GEMMs run in the autocast dtype (as `nn.Linear` would) and the sums over offsets accumulate
    in float32; gradients come back in the dtypes of `feat` and `weight`."""

    @staticmethod
    def forward(ctx, feat, weight, pairs):
        device = feat.device.type
        dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else feat.dtype
        ctx.input_dtypes = (feat.dtype, weight.dtype)
        feat, weight = feat.to(dtype), weight.to(dtype)
        acc = torch.promote_types(dtype, torch.float32)
        with torch.autocast(device, enabled=False):
            out = feat.new_zeros(feat.shape[0], weight.shape[2], dtype=acc)
            for k, dst, src in pairs.pairs:
                if dst is None:
                    out += (feat @ weight[k]).to(acc)
                else:
                    out.index_add_(0, dst, (feat.index_select(0, src) @ weight[k]).to(acc))
        ctx.save_for_backward(feat, weight)
        ctx.pairs = pairs
        return out.to(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        feat, weight = ctx.saved_tensors
        feat_dtype, weight_dtype = ctx.input_dtypes
        grad_out = grad_out.to(feat.dtype)
        acc = torch.promote_types(feat.dtype, torch.float32)
        grad_feat = feat.new_zeros(feat.shape, dtype=acc) if ctx.needs_input_grad[0] else None
        grad_weight = weight.new_zeros(weight.shape, dtype=acc) if ctx.needs_input_grad[1] else None
        with torch.autocast(feat.device.type, enabled=False):
            for k, dst, src in ctx.pairs.pairs:
                g = grad_out if dst is None else grad_out.index_select(0, dst)
                if grad_feat is not None:
                    if dst is None:
                        grad_feat += (g @ weight[k].t()).to(acc)
                    else:
                        grad_feat.index_add_(0, src, (g @ weight[k].t()).to(acc))
                if grad_weight is not None:  # an offset spans several tiles: accumulate
                    grad_weight[k] += (feat if dst is None else feat.index_select(0, src)).t() @ g
        return (
            None if grad_feat is None else grad_feat.to(feat_dtype),
            None if grad_weight is None else grad_weight.to(weight_dtype),
            None,
        )


def submanifold_conv(
    feat: torch.Tensor, weight: torch.Tensor, pairs: OffsetPairs, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """out_i = sum_k W_k^T feat_{n(i, k)} over the existing neighbours n(i, k) of point i (+ bias).

    Args:
        feat: `[N, C_in]`; weight: `[K^3, C_in, C_out]`; pairs: `offset_pairs(neighbor_map(...))` of the N points.
    Returns: `[N, C_out]`. Checked against `submanifold_conv_reference` (values and gradients).
    """
    if weight.shape[0] != pairs.kernel_volume or weight.shape[1] != feat.shape[1]:
        raise ValueError(
            f"weight must be [K^3={pairs.kernel_volume}, C_in={feat.shape[1]}, C_out], got {tuple(weight.shape)}"
        )
    out = _SubmanifoldConv.apply(feat, weight, pairs)
    return out if bias is None else out + bias


def submanifold_conv_reference(
    feat: torch.Tensor,
    weight: torch.Tensor,
    grid_coord: torch.Tensor,
    batch: torch.Tensor,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Brute force over all point pairs (O(N^2)); the ground truth for tests."""
    kernel_size = round(weight.shape[0] ** (1 / 3))
    r = kernel_size // 2
    diff = grid_coord.long()[None, :, :] - grid_coord.long()[:, None, :]  # [i, j, 3]: offset of j from i
    same = (batch[:, None] == batch[None, :]) & (diff.abs() <= r).all(-1)
    k_index = ((diff + r) * torch.tensor([kernel_size**2, kernel_size, 1], device=feat.device)).sum(-1)
    out = feat.new_zeros(feat.shape[0], weight.shape[2])
    for i in range(feat.shape[0]):
        js = same[i].nonzero().squeeze(1)
        for j in js.tolist():
            out[i] = out[i] + feat[j] @ weight[k_index[i, j]]
    return out if bias is None else out + bias


def grid_pool(
    grid_coord: torch.Tensor, batch: torch.Tensor, stride: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Group points into cells of `stride` grid units per sample.

    Returns `cluster [N]` (each point's parent), the parents' `grid_coord [M, 3]` (= floor(grid / stride)) and
    `batch [M]`; parents are sorted by (sample, cell), so samples stay contiguous and in batch order.
    """
    coarse = torch.div(grid_coord.long(), stride, rounding_mode="floor")
    keys, _ = grid_keys(coarse, batch, margin=0)
    unique_keys, cluster = torch.unique(keys, sorted=True, return_inverse=True)
    first = torch.full((unique_keys.numel(),), len(keys), dtype=torch.long, device=keys.device)
    first = first.scatter_reduce(0, cluster, torch.arange(len(keys), device=keys.device), reduce="amin")
    return cluster, coarse[first], batch[first]


def segment_mean(x: torch.Tensor, index: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Mean of the rows of `x [N, C]` that share `index [N]`, for segments 0..num_segments-1 (empty ones give 0)."""
    sums = x.new_zeros(num_segments, x.shape[1]).index_add(0, index, x)
    counts = torch.bincount(index, minlength=num_segments).clamp(min=1).to(x.dtype)
    return sums / counts[:, None]


def radius_nearest(
    query: torch.Tensor, query_batch: torch.Tensor, ref: torch.Tensor, ref_batch: torch.Tensor, radius: float
) -> torch.Tensor:
    """Index of the nearest `ref` point of the same sample within `radius` of each `query` point, else -1.

    Hash grid of cell size `radius`: candidates come from the 27 cells around the query's cell, so the search is
    exact (every point within `radius` lies there) and linear in the number of points.
    """
    if query.shape[0] == 0 or ref.shape[0] == 0:
        return torch.full((query.shape[0],), -1, dtype=torch.long, device=query.device)
    origin = torch.minimum(query.min(0).values, ref.min(0).values)
    ref_cell = torch.div(ref - origin, radius, rounding_mode="floor").long()
    query_cell = torch.div(query - origin, radius, rounding_mode="floor").long()
    keys, shift = grid_keys(torch.cat([ref_cell, query_cell]), torch.cat([ref_batch, query_batch]), margin=1)
    ref_keys, order = keys[: len(ref)].sort()
    unique_keys, counts = torch.unique_consecutive(ref_keys, return_counts=True)
    starts = torch.cumsum(counts, 0) - counts
    slots = torch.arange(int(counts.max()), device=query.device)
    offsets = kernel_offsets(3, query.device)
    nearest = []
    for lo in range(0, len(query), QUERY_CHUNK):  # all 27 cells of a chunk of queries at once
        q, q_batch, q_cell = (
            query[lo : lo + QUERY_CHUNK],
            query_batch[lo : lo + QUERY_CHUNK],
            query_cell[lo:][:QUERY_CHUNK],
        )
        cell = q_cell[:, None, :] + shift + offsets  # [n, 27, 3]
        qkeys = (
            (q_batch.long()[:, None] << (3 * COORD_BITS))
            | (cell[..., 0] << (2 * COORD_BITS))
            | (cell[..., 1] << COORD_BITS)
            | cell[..., 2]
        )
        pos = torch.searchsorted(unique_keys, qkeys).clamp(max=len(unique_keys) - 1)
        # every point of every cell: [n, 27, max points per cell], invalid slots masked
        valid = (unique_keys[pos] == qkeys)[..., None] & (slots < counts[pos][..., None])
        cand = order[(starts[pos][..., None] + slots).clamp(max=len(order) - 1)]
        dist = (ref[cand] - q[:, None, None]).pow(2).sum(-1).masked_fill(~valid, float("inf"))
        d_min, j = dist.flatten(1).min(dim=1)  # ties: the first cell in kernel order, then the first slot
        best = cand.flatten(1).gather(1, j[:, None]).squeeze(1)
        nearest.append(torch.where(d_min <= radius * radius, best, torch.full_like(best, -1)))
    return torch.cat(nearest)
