"""The CSP reach report of a backbone (pointcept_csp/models/reach.py): per block the tokens per sample, each head's
memory, the state surviving one sample, the share of a sample's tokens that feel the previous sample, and the weight
of each residual branch; per stage and at the output, how much a sample's features change when the previous sample
is replaced. CSP mode, with independent mode as the control (all zeros).

    python tools/studies/csp_reach.py --config-file configs/demo/pretrain-pointcsp-demo.py           # untrained
    python tools/studies/csp_reach.py --config-file exp/demo/pretrain/config.py \
        --weight exp/demo/pretrain/model/model_last.pth
    python tools/studies/csp_reach.py --config-file CFG --data config --json exp/reach.json  # the config's scenes

Scenes: procedural rooms (`--data rooms`, the default) or the config's training dataset (`--data config`), each
grid-sampled at the backbone's grid size and cropped to `--points` around a random point, as training crops are.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from pointcept_csp import host  # noqa: E402
from pointcept_csp.datasets.synthetic import crop_sample, room_crops  # noqa: E402
from pointcept_csp.models.reach import headline, measure_reach, reach_table  # noqa: E402
from pointcept_csp.models.weights import load_backbone  # noqa: E402
from pointcept_csp.utils.options import parse_options  # noqa: E402


def backbone_config(cfg) -> dict:
    """The backbone of a pre-training / SPD model config, or the model itself when it is a backbone."""
    model = cfg.model
    return dict(model["backbone"]) if "backbone" in model else dict(model)


def grid_size_of(cfg, backbone_cfg: dict) -> float:
    size = backbone_cfg.get("grid_size") or cfg.get("grid_size")
    if not size:
        raise KeyError("neither the backbone config nor the config sets grid_size; pass --grid-size")
    return float(size)


def config_scenes(cfg, count: int, points: int, grid_size: float) -> list[dict]:
    """The first `count` samples of the config's training dataset, as training crops."""
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", required=True)
    parser.add_argument("--weight", default=None, help="checkpoint whose backbone to load (pre-training or export)")
    parser.add_argument("--options", nargs="*", default=[], help="config overrides key=value")
    parser.add_argument("--data", choices=["rooms", "config"], default="rooms")
    parser.add_argument("--scenes", type=int, default=4, help="targets (each with a previous and a replacement)")
    parser.add_argument("--points", type=int, default=1500, help="points per scene after grid sampling and crop")
    parser.add_argument("--grid-size", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    cfg = host.load_config(args.config_file, parse_options(args.options))
    bcfg = backbone_config(cfg)
    backbone = host.build_model(bcfg)
    if args.weight:
        print(f"loaded {args.weight}: {load_backbone(backbone, args.weight, 'pretrain')}")
    grid_size = args.grid_size or grid_size_of(cfg, bcfg)
    count = max(args.scenes, 3)
    if args.data == "rooms":
        scenes = room_crops(count, args.points, grid_size, first_seed=5000)
    else:
        scenes = config_scenes(cfg, count, args.points, grid_size)
    reports = {mode: measure_reach(backbone, scenes, cross_sample=mode == "csp") for mode in ("csp", "independent")}
    print(reach_table(reports["csp"]))
    print("\nCSP: " + headline(reports["csp"]))
    print("independent (control): " + headline(reports["independent"]))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(reports, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
