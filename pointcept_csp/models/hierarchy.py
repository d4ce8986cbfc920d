"""The resolutions a U-Net backbone walks through: the input level (one token per occupied cell), then each coarser
level made by grid pooling. Every level carries its points, the structures its blocks share (sparse-conv neighbours,
curve orders, sequence boundaries) and, once pooled, the map of its points to the level above, so a backbone reads
as: input level -> for each stage, pool and run -> for each stage back down, unpool and run."""

from __future__ import annotations

import torch

from ..ops import cu_seqlens_from_offset
from ..ops.sparse import SparseGrid, grid_pool, segment_mean
from .serialization import batch_to_offset, encode, offset_to_batch, sort_order
from .validation import check_point_batch


class Level:
    """One resolution: `feat`, `coord`, `grid_coord`, `batch`, `offset` of its points; `grid` (neighbours shared by
    its convs); `cluster` (each point's index in the next coarser level, set by `pool`)."""

    def __init__(self, feat, coord, grid_coord, batch, offset) -> None:
        self.feat, self.coord, self.grid_coord, self.batch, self.offset = feat, coord, grid_coord, batch, offset
        self.grid = SparseGrid(grid_coord, batch)
        self.cu_seqlens = cu_seqlens_from_offset(offset)
        self.cluster: torch.Tensor | None = None
        self._orders: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def order(self, name: str, shuffle: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """(order, inverse) of the tokens: a fresh random permutation within each sample when `shuffle`, else the
        curve `name` (cached per level)."""
        if shuffle:
            return sort_order(encode(self.grid_coord, self.batch, "random", deterministic=False))
        if name not in self._orders:
            self._orders[name] = sort_order(encode(self.grid_coord, self.batch, name))
        return self._orders[name]

    def pool(self, down) -> Level:
        """The next coarser level: `down` (a `GridPooling`) pools this level's `feat`; remembers the map back."""
        parent, self.cluster = down(self.feat, self.coord, self.grid_coord, self.batch, len(self.offset))
        return Level(**parent)


def input_level(data_dict: dict, in_channels: int, grid_size: float | None) -> tuple[Level, torch.Tensor, torch.Tensor]:
    """The finest level of a Pointcept batch (checked); `dedup [N]`, each input point's token (points sharing a
    (sample, cell) are averaged into one token and get its output back at the end); and the points' `grid_coord`."""
    coord, feat, offset = data_dict["coord"], data_dict["feat"], data_dict["offset"]
    grid_coord = data_dict.get("grid_coord")
    if grid_coord is None:
        if grid_size is None:
            raise KeyError(
                "the batch has no 'grid_coord'; add GridSample(return_grid_coord=True) to the transforms or set the "
                "backbone's grid_size"
            )
        grid_coord = torch.div(coord, grid_size, rounding_mode="floor").long()
    check_point_batch(coord, feat, offset, in_channels, grid_coord)
    dedup, grid, batch = grid_pool(grid_coord, offset_to_batch(offset), 1)
    cells = grid.shape[0]
    level = Level(
        segment_mean(feat, dedup, cells),
        segment_mean(coord, dedup, cells),
        grid,
        batch,
        batch_to_offset(batch, len(offset)),
    )
    return level, dedup, grid_coord
