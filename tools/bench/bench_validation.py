"""Cost of the input checks at the model boundary (shapes, offsets, NaN / Inf, label range) relative to one
training step of the SPD segmentor on the same batch, measured in one process. One thread.

    python tools/bench/bench_validation.py --scenes 4 --points 8192
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from pointcept_csp import host
from pointcept_csp.datasets.synthetic import generate_room
from pointcept_csp.models.spd import _check_labels
from pointcept_csp.models.validation import check_point_batch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=4)
    parser.add_argument("--points", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    parts = []
    for s in range(args.scenes):
        room = generate_room(300 + s, density=150)
        keep = np.random.default_rng(s).permutation(len(room["coord"]))[: args.points]
        coord = torch.from_numpy(room["coord"][keep])
        parts.append(
            dict(
                coord=coord,
                grid_coord=(coord / 0.05).floor().long(),
                feat=torch.cat(
                    [torch.from_numpy(room["color"][keep]).float() / 127.5 - 1, torch.from_numpy(room["normal"][keep])],
                    1,
                ),
                segment=torch.from_numpy(room["segment"][keep].astype(np.int64)),
            )
        )
    batch = {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
    batch["offset"] = torch.tensor([len(p["coord"]) for p in parts]).cumsum(0)
    cfg = host.load_config("configs/s3dis/pointcsp-tiny.py")
    model = host.build_model(cfg.model).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step():
        out = model(batch)
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()

    def checks():
        check_point_batch(batch["coord"], batch["feat"], batch["offset"], 6, batch["grid_coord"])
        _check_labels(batch["segment"], 10, -1)

    step()
    step_times, check_times = [], []
    for _ in range(args.repeats):
        tic = time.perf_counter()
        step()
        step_times.append(time.perf_counter() - tic)
        tic = time.perf_counter()
        for _ in range(20):
            checks()
        check_times.append((time.perf_counter() - tic) / 20)
    s, c = statistics.median(step_times), statistics.median(check_times)
    # the step above already ran the checks once (the backbone and the wrapper call them); report them against it
    print(
        f"{args.scenes} scenes x {args.points} points: training step {s:.3f}s, input checks {1e3 * c:.2f} ms "
        f"= {100 * c / s:.2f}% of the step"
    )


if __name__ == "__main__":
    main()
