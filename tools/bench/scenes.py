"""Benchmark inputs: procedural rooms subsampled to a fixed point count, packed as a Pointcept batch."""

from __future__ import annotations

import numpy as np
import torch

from pointcept_csp.datasets.synthetic import generate_room


def room_batch(num_scenes: int, points: int, grid_size: float, first_seed: int, labels: bool = False) -> dict:
    """`coord`, `grid_coord`, `feat` (colour in [-1, 1] + normal) and `offset` (+ `segment`) of `num_scenes` rooms."""
    scenes = []
    for b in range(num_scenes):
        room = generate_room(first_seed + b, density=150)
        keep = np.random.default_rng(b).permutation(len(room["coord"]))[:points]
        coord = torch.from_numpy(room["coord"][keep])
        color = torch.from_numpy(room["color"][keep]).float() / 127.5 - 1
        scene = dict(
            coord=coord,
            grid_coord=(coord / grid_size).floor().long(),
            feat=torch.cat([color, torch.from_numpy(room["normal"][keep])], 1),
        )
        if labels:
            scene["segment"] = torch.from_numpy(room["segment"][keep].astype(np.int64))
        scenes.append(scene)
    batch = {k: torch.cat([s[k] for s in scenes]) for k in scenes[0]}
    batch["offset"] = torch.tensor([len(s["coord"]) for s in scenes]).cumsum(0)
    return batch
