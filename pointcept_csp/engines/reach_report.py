"""The CSP reach report of a config's backbone (models/reach.py), in CSP mode and in independent mode (the control,
all zeros): on which scenes, at which grid size, from which weights. tools/csp_reach.py is its command line; the demo
calls `reach_report` after pre-training.

Scenes: procedural rooms (`data="rooms"`) or the config's training dataset (`data="config"`), each grid-sampled at the
backbone's grid size and cropped to `points` around a random point, as training crops are.
"""

from __future__ import annotations

import numpy as np
import torch

from pointcept_csp import host
from pointcept_csp.datasets.synthetic import crop_sample, room_crops
from pointcept_csp.models.reach import headline, measure_reach, reach_table
from pointcept_csp.models.weights import load_backbone

MODES = ("csp", "independent")
ROOM_SEED = 5000  # procedural rooms from this seed on: none of the demo's train (1000+) or val (2000+) rooms


def backbone_config(cfg) -> dict:
    """The backbone of a pre-training / SPD model config, or the model itself when it is a backbone."""
    model = cfg.model
    return dict(model["backbone"]) if "backbone" in model else dict(model)


def grid_size_of(cfg, backbone_cfg: dict) -> float:
    size = backbone_cfg.get("grid_size") or cfg.get("grid_size")
    if not size:
        raise KeyError("neither the backbone config nor the config sets grid_size; pass grid_size")
    return float(size)


def config_scenes(cfg, count: int, points: int, grid_size: float) -> list[dict]:
    """The first `count` samples of the config's training dataset (cycled), as training crops."""
    train = cfg.data.train
    dataset = host.DATASETS.build(dict(type=train.type, data_root=train.data_root, split=train.split, transform=[]))
    if len(dataset) == 0:
        raise ValueError(f"the config's training dataset at {train.data_root!r} is empty")
    scenes = []
    for i in range(count):
        data = dataset.get_data(i % len(dataset))
        rng = np.random.default_rng(i)
        scenes.append(crop_sample(data["coord"], data["color"], data["normal"], points, grid_size, rng))
    return scenes


def reach_report(
    config_file: str,
    weight: str | None = None,
    options: dict | None = None,
    data: str = "rooms",
    scenes: int = 4,
    points: int = 1500,
    grid_size: float | None = None,
    seed: int = 0,
) -> dict[str, dict]:
    """{mode: measure_reach report} of the config's backbone (its pre-trained weights from `weight`, when given) on
    `scenes` targets (at least 3: each needs a previous sample and a replacement)."""
    if data not in ("rooms", "config"):
        raise ValueError(f"data must be 'rooms' or 'config', got {data!r}")
    torch.manual_seed(seed)
    cfg = host.load_config(config_file, options or {})
    bcfg = backbone_config(cfg)
    backbone = host.build_model(bcfg)
    if weight:
        print(f"loaded {weight}: {load_backbone(backbone, weight, 'pretrain')}")
    grid_size = grid_size or grid_size_of(cfg, bcfg)
    count = max(scenes, 3)
    if data == "rooms":
        samples = room_crops(count, points, grid_size, first_seed=ROOM_SEED)
    else:
        samples = config_scenes(cfg, count, points, grid_size)
    return {mode: measure_reach(backbone, samples, cross_sample=mode == "csp") for mode in MODES}


def format_reach(reports: dict[str, dict]) -> str:
    """The per-block table of the CSP mode and one headline per mode."""
    lines = [reach_table(reports["csp"]), "", "CSP: " + headline(reports["csp"])]
    return "\n".join(lines + ["independent (control): " + headline(reports["independent"])])
