"""Prediction on a large generated scan through tools/predict.py: wall time, points per second and the process's peak
resident memory, with glibc's default allocator and with no-trim, for a 1M-point scan (the baseline, same run) and a
10M-point one.

    OMP_NUM_THREADS=1 .venv/bin/python tools/bench/bench_predict.py --points 1000000 10000000 --json exp/predict.json

The scan: procedural rooms (pointcept_csp.datasets.synthetic) laid side by side on a grid until the point count is
reached, as one .npy of x y z r g b nx ny nz, read and predicted like a user's file. The model: the CPU-sized S3DIS
config (configs/s3dis/pointcsp-tiny.py: the tiny backbone, 5 cm voxels, one test pass per voxel layer) with untrained
weights (speed and memory do not depend on them), `--max-points` as given.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from pointcept_csp import host  # noqa: E402
from pointcept_csp.datasets.synthetic import generate_room  # noqa: E402
from pointcept_csp.utils.checkpoint import atomic_save  # noqa: E402
from tools.bench.bench_backbone import ALLOCATORS  # noqa: E402

CONFIG = "configs/s3dis/pointcsp-tiny.py"


def write_scan(path: str, points: int, density: float = 1200.0) -> int:
    """Rooms on a grid 8 m apart until `points` points; returns the count written (cut to `points`)."""
    rooms, total, seed = [], 0, 0
    side = 8.0
    while total < points:
        room = generate_room(seed, density=density)
        row, col = divmod(seed, 16)
        coord = room["coord"] + np.array([col * side, row * side, 0.0], dtype=np.float32)
        rooms.append(np.column_stack([coord, room["color"].astype(np.float32), room["normal"]]))
        total += len(coord)
        seed += 1
    table = np.concatenate(rooms)[:points]
    np.save(path, table)
    return len(table)


def run(scan: str, weight: str, out: str, allocator: str, max_points: int | None) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", **ALLOCATORS[allocator])
    cmd = [sys.executable, "tools/predict.py", scan, "--config-file", CONFIG, "--weight", weight, "--out", out]
    cmd += ["--quiet", "--device", "cpu"] + (["--max-points", str(max_points)] if max_points else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    tic = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - tic
    if proc.returncode != 0:
        raise RuntimeError(f"predict.py failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kib <= before:
        raise RuntimeError("ru_maxrss did not grow: measure each run from a fresh process (measure_in_child)")
    return dict(seconds=round(seconds, 1), peak_mib=round(peak_kib / 1024))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--allocators", nargs="+", default=list(ALLOCATORS), choices=list(ALLOCATORS))
    parser.add_argument("--max-points", type=int, default=1_000_000)
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-predict-") as tmp:
        torch.manual_seed(0)
        weight = os.path.join(tmp, "model.pth")
        atomic_save(dict(state_dict=host.build_model(host.load_config(CONFIG).model).state_dict()), weight)
        for points in args.points:
            scan = os.path.join(tmp, f"scan{points}.npy")
            count = write_scan(scan, points)
            for allocator in args.allocators:
                result = measure_in_child(scan, weight, tmp, allocator, args.max_points)
                row = dict(points=count, allocator=allocator, max_points=args.max_points, **result)
                row["points_per_s"] = round(count / result["seconds"])
                rows.append(row)
                print(json.dumps(row), flush=True)
            os.remove(scan)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


def measure_in_child(scan: str, weight: str, tmp: str, allocator: str, max_points: int | None) -> dict:
    """`run` in a fresh Python process, so that its RUSAGE_CHILDREN peak is this prediction's alone."""
    code = (
        "import json, sys; sys.path.insert(0, {root!r}); from tools.bench.bench_predict import run; "
        "print(json.dumps(run({scan!r}, {weight!r}, {out!r}, {allocator!r}, {max_points!r})))"
    ).format(
        root=ROOT, scan=scan, weight=weight, out=os.path.join(tmp, "out"), allocator=allocator, max_points=max_points
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
