"""Benchmark inputs shaped the way Pointcept's training pipeline feeds a backbone: a dense procedural room,
GridSample at the grid size (one random point per voxel), SphereCrop to a point cap around a random point, then
CenterShift; packed as a Pointcept batch. Dense inputs matter: grid pooling then shrinks the token count from stage
to stage as it does on real scans (a sparse random subsample barely pools at all)."""

from __future__ import annotations

import torch

from pointcept_csp.datasets.synthetic import room_crops

ROOM_DENSITY = 2000.0  # points per m^2 before grid sampling; a 2 cm grid holds at most 2500


def room_batch(num_scenes: int, points: int, grid_size: float, first_seed: int, labels: bool = False) -> dict:
    """`coord`, `grid_coord`, `feat` (colour in [-1, 1] + normal) and `offset` (+ `segment`) of `num_scenes`
    rooms, each grid-sampled at `grid_size` and cropped to at most `points` points."""
    scenes = room_crops(num_scenes, points, grid_size, first_seed, density=ROOM_DENSITY, labels=labels)
    batch = {k: torch.cat([s[k] for s in scenes]) for k in scenes[0]}
    batch["offset"] = torch.tensor([len(s["coord"]) for s in scenes]).cumsum(0)
    return batch


def tokens_per_stage(out: dict) -> list[int]:
    """Token counts of the encoder levels of a backbone output (`stages`), finest first."""
    return [int(stage["offset"][-1]) for stage in out["stages"]]
