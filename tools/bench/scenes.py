"""Benchmark inputs shaped the way Pointcept's training pipeline feeds a backbone: a dense procedural room,
GridSample at the grid size (one random point per voxel), SphereCrop to a point cap around a random point, then
CenterShift; packed as a Pointcept batch. Dense inputs matter: grid pooling then shrinks the token count from stage
to stage as it does on real scans (a sparse random subsample barely pools at all)."""

from __future__ import annotations

import numpy as np
import torch

from pointcept_csp.datasets.synthetic import generate_room

ROOM_DENSITY = 2000.0  # points per m^2 before grid sampling; a 2 cm grid holds at most 2500


def crop_scene(room: dict, points: int, grid_size: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of one training crop: one random point per occupied voxel, then the `points` nearest to a random
    kept point (all of them when fewer)."""
    voxel = np.floor(room["coord"] / grid_size).astype(np.int64)
    order = rng.permutation(len(voxel))
    _, first = np.unique(voxel[order], axis=0, return_index=True)
    kept = order[first]
    if len(kept) > points:
        centre = room["coord"][kept[rng.integers(len(kept))]]
        dist = ((room["coord"][kept] - centre) ** 2).sum(1)
        kept = kept[np.argpartition(dist, points - 1)[:points]]
    return np.sort(kept)


def room_batch(num_scenes: int, points: int, grid_size: float, first_seed: int, labels: bool = False) -> dict:
    """`coord`, `grid_coord`, `feat` (colour in [-1, 1] + normal) and `offset` (+ `segment`) of `num_scenes`
    rooms, each grid-sampled at `grid_size` and cropped to at most `points` points."""
    scenes = []
    for b in range(num_scenes):
        room = generate_room(first_seed + b, density=ROOM_DENSITY)
        keep = crop_scene(room, points, grid_size, np.random.default_rng(b))
        coord = room["coord"][keep]
        voxel = np.floor(coord / grid_size).astype(np.int64)  # GridSample's grid_coord: one point per cell
        coord = coord - np.array([*coord[:, :2].mean(0), coord[:, 2].min()], dtype=coord.dtype)  # CenterShift
        color = torch.from_numpy(room["color"][keep]).float() / 127.5 - 1
        scene = dict(
            coord=torch.from_numpy(coord),
            grid_coord=torch.from_numpy(voxel - voxel.min(0)),
            feat=torch.cat([color, torch.from_numpy(room["normal"][keep])], 1),
        )
        if labels:
            scene["segment"] = torch.from_numpy(room["segment"][keep].astype(np.int64))
        scenes.append(scene)
    batch = {k: torch.cat([s[k] for s in scenes]) for k in scenes[0]}
    batch["offset"] = torch.tensor([len(s["coord"]) for s in scenes]).cumsum(0)
    return batch


def tokens_per_stage(out: dict) -> list[int]:
    """Token counts of the encoder levels of a backbone output (`stages`), finest first."""
    return [int(stage["offset"][-1]) for stage in out["stages"]]
