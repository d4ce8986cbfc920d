"""Cheap checks of a packed point batch at the model boundary; each error names the key, the sample and the fix."""

from __future__ import annotations

import torch


class NonFiniteInputError(ValueError):
    """A batch carries NaN / Inf coordinates or features. CSPTrainer skips such a training step (and counts it);
    everywhere else it is an error."""


def check_point_batch(
    coord: torch.Tensor,
    feat: torch.Tensor,
    offset: torch.Tensor,
    in_channels: int | None = None,
    grid_coord: torch.Tensor | None = None,
) -> None:
    """Raise ValueError on: empty batch or sample, offsets not increasing or not ending at N, coord/feat row
    mismatch, feature width != `in_channels`, NaN/Inf coordinates or features."""
    n = coord.shape[0]
    if coord.dim() != 2 or coord.shape[1] != 3:
        raise ValueError(f"coord must be [N, 3], got {tuple(coord.shape)}")
    if n == 0:
        raise ValueError("the batch is empty (coord has 0 points); check the dataset and crop transforms")
    if feat.dim() != 2 or feat.shape[0] != n:
        raise ValueError(f"feat must be [N={n}, C], got {tuple(feat.shape)}")
    if in_channels is not None and feat.shape[1] != in_channels:
        raise ValueError(
            f"feat has {feat.shape[1]} channels but the backbone expects in_channels={in_channels}; "
            f"match Collect(feat_keys=...) to the model config"
        )
    if grid_coord is not None and grid_coord.shape != (n, 3):
        raise ValueError(f"grid_coord must be [N={n}, 3], got {tuple(grid_coord.shape)}")
    if offset.dim() != 1 or offset.numel() == 0:
        raise ValueError(f"offset must be a non-empty 1-D tensor of cumulative sample ends, got {tuple(offset.shape)}")
    sizes = torch.diff(offset.long(), prepend=offset.new_zeros(1).long())
    if bool((sizes <= 0).any()):
        bad = int((sizes <= 0).nonzero()[0])
        raise ValueError(
            f"offset must be strictly increasing (sample {bad} has {int(sizes[bad])} points); "
            f"got offset={offset.tolist()[:8]}"
        )
    if int(offset[-1]) != n:
        raise ValueError(f"offset ends at {int(offset[-1])} but the batch has {n} points")
    for name, x in (("coord", coord), ("feat", feat)):
        finite = torch.isfinite(x).all(dim=1)
        if not bool(finite.all()):
            first = int((~finite).nonzero()[0])
            sample = int(torch.searchsorted(offset.long(), torch.tensor(first, device=offset.device), right=True))
            raise NonFiniteInputError(
                f"{name} has NaN/Inf values (first at point {first}, sample {sample} of the "
                f"batch); clean the input or check the transforms"
            )
