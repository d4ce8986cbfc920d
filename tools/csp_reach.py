"""How far the SSM state of a backbone reaches across scenes (pointcept_csp/engines/reach_report.py): per block the
tokens per sample, each head's memory, the state surviving one sample, the share of a sample's tokens that feel the
previous sample, and the weight of each residual branch; per stage and at the output, how much a sample's features
change when the previous sample is replaced. CSP mode, with independent mode as the control (all zeros).

    python tools/csp_reach.py --config-file configs/demo/pretrain-pointcsp-demo.py           # untrained
    python tools/csp_reach.py --config-file exp/demo/pretrain/config.py \
        --weight exp/demo/pretrain/model/model_last.pth
    python tools/csp_reach.py --config-file CFG --data config --json exp/reach.json  # the config's scenes
"""

from __future__ import annotations

import argparse
import json
import os

from pointcept_csp.engines.reach_report import format_reach, reach_report
from pointcept_csp.utils.options import parse_options


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
    reports = reach_report(
        args.config_file,
        args.weight,
        parse_options(args.options),
        args.data,
        args.scenes,
        args.points,
        args.grid_size,
        args.seed,
    )
    print(format_reach(reports))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(reports, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
