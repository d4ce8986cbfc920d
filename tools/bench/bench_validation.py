"""Cost of the input checks at the model boundary (shapes, offsets, NaN / Inf, label range) relative to one
training step of the SPD segmentor on the same batch, measured in one process. One thread.

    python tools/bench/bench_validation.py --scenes 4 --points 8192
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from pointcept_csp import host  # noqa: E402
from pointcept_csp.models.spd import _check_labels  # noqa: E402
from pointcept_csp.models.validation import check_point_batch  # noqa: E402
from tools.bench.scenes import room_batch  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=4)
    parser.add_argument("--points", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    batch = room_batch(args.scenes, args.points, grid_size=0.05, first_seed=300, labels=True)
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
