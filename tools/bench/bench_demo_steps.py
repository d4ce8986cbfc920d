"""Seconds per training step of the CPU demo, this working tree against an older commit, side by side in one run.

The older commit is checked out as a git worktree under exp/bench/trees/<commit>. Each (tree, config, allocator)
case runs in a fresh subprocess with that tree first on PYTHONPATH, the standalone host and one thread: the demo's
own config is loaded from that tree, its model built, samples of 8 demo rooms collated into batches (the same samples
for both trees), and `--steps` optimizer steps (forward, backward, AdamW step) are timed
after one warm-up step. Trees alternate case by case, `--rounds` times, so machine load hits both alike; the table
reports the median step of every case and the old/new ratio per allocator.

    OMP_NUM_THREADS=1 python tools/bench/bench_demo_steps.py --old e33bdf8
    python tools/bench/bench_demo_steps.py --old e33bdf8 --steps 3 --rounds 1 --configs pretrain
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = {
    "pretrain": "configs/demo/pretrain-pointcsp-demo.py",
    "finetune": "configs/demo/semseg-pointcsp-spd-demo.py",
}
ALLOCATORS = {"default": {}, "no-trim": {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 40)}}
DATA_ROOT = os.path.join(ROOT, "exp", "bench", "demo_rooms")  # 8 procedural rooms as tools/demo.py writes them


def worker(config: str, steps: int) -> dict:
    """Run in a subprocess whose PYTHONPATH starts with the tree under test (its cwd)."""
    import time

    import torch

    from pointcept_csp import host

    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = host.load_config(config, {"data.train.data_root": DATA_ROOT})
    model = host.build_model(cfg.model).train()
    dataset = host.build_dataset(cfg.data.train)
    batches = [
        host.point_collate_fn([dataset[(i * cfg.batch_size + j) % len(dataset)] for j in range(cfg.batch_size)])
        for i in range(steps + 1)
    ]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    times = []
    for i, batch in enumerate(batches):
        tic = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        model(batch)["loss"].backward()
        optimizer.step()
        if i:  # the first step is a warm-up
            times.append(time.perf_counter() - tic)
    return dict(step_s=statistics.median(times), steps=len(times))


def worktree(commit: str) -> str:
    path = os.path.join(ROOT, "exp", "bench", "trees", commit)
    if not os.path.isdir(path):
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", path, commit], check=True)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--old", required=False, help="the commit to compare against")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", default=os.path.join(ROOT, "exp", "bench", "demo_steps.json"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]))))
        return
    if not args.old:
        parser.error("--old COMMIT is required")
    if not os.path.isdir(DATA_ROOT):
        sys.path.insert(0, ROOT)
        from pointcept_csp.datasets.synthetic import write_rooms

        write_rooms(DATA_ROOT, "scannet", {"train": list(range(1000, 1008))}, density=60)
    trees = {"old": worktree(args.old), "new": ROOT}
    rows = []
    for _ in range(args.rounds):
        for config in args.configs:
            for allocator, extra in ALLOCATORS.items():
                for name, tree in trees.items():
                    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=tree, POINTCEPT_CSP_HOST="standalone")
                    env.update(extra)
                    cmd = [sys.executable, os.path.abspath(__file__), "--worker", CONFIGS[config], str(args.steps)]
                    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
                    if proc.returncode != 0:
                        raise RuntimeError(f"{name} {config}: {proc.stderr[-3000:]}")
                    row = dict(
                        tree=name, config=config, allocator=allocator, **json.loads(proc.stdout.splitlines()[-1])
                    )
                    rows.append(row)
                    print(f"{name:3s} {config:8s} {allocator:8s} step {row['step_s']:.3f} s", flush=True)
    print(f"\n| step | allocator | old {args.old} (s) | new (s) | old / new |\n|---|---|---|---|---|")
    for config in args.configs:
        for allocator in ALLOCATORS:

            def median(tree, config=config, allocator=allocator):
                return statistics.median(
                    r["step_s"] for r in rows if (r["tree"], r["config"], r["allocator"]) == (tree, config, allocator)
                )

            old, new = median("old"), median("new")
            print(f"| {config} | {allocator} | {old:.3f} | {new:.3f} | {old / new:.2f}x |")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(dict(old=args.old, rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
