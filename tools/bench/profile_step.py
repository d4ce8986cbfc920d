"""Where a backbone training step spends its time: one CSP step of the benchmark backbone on realistic scenes
(`tools/bench/scenes.py`) under `torch.profiler`, after an untimed warm-up step. Prints the step time, unprofiled and
profiled, and the top operators by self CPU time (forward, recompute and backward together).

    OMP_NUM_THREADS=1 python tools/bench/profile_step.py                    # B = 4, 8k points, "small" preset
    OMP_NUM_THREADS=1 python tools/bench/profile_step.py --batch 2 --recompute block --rows 15

Run it with both allocators to compare (`MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1099511627776`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

import torch  # noqa: E402

from tools.bench.bench_backbone import build_backbone  # noqa: E402
from tools.bench.scenes import room_batch, tokens_per_stage  # noqa: E402


def step(model, data) -> dict:
    out = model(data)
    out["feat"].pow(2).mean().backward()
    model.zero_grad(set_to_none=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="small")
    parser.add_argument("--mode", default="csp", choices=["csp", "independent"])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--points", type=int, default=8192)
    parser.add_argument("--recompute", default="none", choices=["none", "mixer", "block"])
    parser.add_argument("--rows", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = room_batch(args.batch, args.points, grid_size=0.02, first_seed=100)
    model = build_backbone(args.preset, "gated_delta", args.mode, recompute=args.recompute)
    out = step(model, data)  # warm-up
    tic = time.perf_counter()
    step(model, data)
    plain = time.perf_counter() - tic
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        tic = time.perf_counter()
        step(model, data)
        profiled = time.perf_counter() - tic
    events = prof.key_averages()
    total_us = profiled * 1e6
    stages = "/".join(str(t) for t in tokens_per_stage(out))
    print(f"B={args.batch} {args.mode} recompute={args.recompute} tokens per stage {stages}")
    print(f"step {plain:.3f} s (profiled {profiled:.3f} s)\n")
    print("| op | calls | self CPU (s) | share of step |\n|---|---|---|---|")
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[: args.rows]:
        print(f"| {e.key} | {e.count} | {e.self_cpu_time_total / 1e6:.3f} | {e.self_cpu_time_total / total_us:.1%} |")


if __name__ == "__main__":
    main()
