"""tools/prepare_data.py on a large LAS scan: wall time, points per second and the process's peak resident memory,
with glibc's default allocator and with no-trim, for each --points (1M is the baseline of the same run), beside the
peak of reading the whole file at once with laspy.read into coordinate, colour and label arrays (what a converter
without chunks holds before it has done anything).

    OMP_NUM_THREADS=1 .venv/bin/python tools/bench/bench_prepare.py --points 1000000 10000000 --json exp/prepare.json

The scan: procedural rooms (pointcept_csp.datasets.synthetic) laid side by side 8 m apart, written room by room as one
LAS 1.2 file (point format 2: 16-bit colour, classification), at geo-referenced coordinates. The conversion: 16 m
tiles, 5 cm voxels (--grid), labels from `classification`, normals estimated per tile.
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from pointcept_csp.datasets.synthetic import generate_room  # noqa: E402
from tools.bench.bench_backbone import ALLOCATORS  # noqa: E402

SHIFT = np.array([500000.0, 4000000.0, 100.0])
# the baseline: the arrays a converter without chunks holds at once (the file, coordinates, colour, labels)
WHOLE = (
    "import laspy, numpy as np; las = laspy.read({scan!r}); "
    "arrays = [np.stack([las.x, las.y, las.z], 1), np.stack([las.red, las.green, las.blue], 1), "
    "np.asarray(las.classification)]"
)
OPTIONS = ["--tile", "16", "--grid", "0.05", "--label-field", "classification", "--quiet"]


def write_las(path: str, points: int, density: float = 1200.0) -> int:
    """Rooms on a grid 8 m apart, appended to the file one at a time, until `points` points."""
    import laspy

    header = laspy.LasHeader(point_format=2, version="1.2")
    header.scales, header.offsets = np.array([0.001] * 3), SHIFT
    total, seed = 0, 0
    with laspy.open(path, mode="w", header=header) as writer:
        while total < points:
            room = generate_room(seed, density=density)
            row, col = divmod(seed, 16)
            coord = room["coord"][: points - total] + np.array([col * 8.0, row * 8.0, 0.0]) + SHIFT
            record = laspy.ScaleAwarePointRecord.zeros(len(coord), header=header)
            record.x, record.y, record.z = coord[:, 0], coord[:, 1], coord[:, 2]
            color = room["color"][: len(coord)].astype(np.uint16) * 257
            record.red, record.green, record.blue = color[:, 0], color[:, 1], color[:, 2]
            record.classification = room["segment"][: len(coord)].clip(0, 31).astype(np.uint8)
            writer.write_points(record)
            total += len(coord)
            seed += 1
    return total


def run(command: list[str], allocator: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", **ALLOCATORS[allocator])
    tic = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - tic
    if proc.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return dict(
        seconds=round(seconds, 1), peak_mib=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    )


def measure_in_child(command: list[str], allocator: str) -> dict:
    """`run` in a fresh Python process, so that its RUSAGE_CHILDREN peak is this command's alone."""
    code = "import json, sys; sys.path.insert(0, {root!r}); from tools.bench.bench_prepare import run; "
    code += "print(json.dumps(run({command!r}, {allocator!r})))"
    proc = subprocess.run(
        [sys.executable, "-c", code.format(root=ROOT, command=command, allocator=allocator)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--allocators", nargs="+", default=list(ALLOCATORS), choices=list(ALLOCATORS))
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-prepare-") as tmp:
        for points in args.points:
            scan = os.path.join(tmp, f"scan{points}.las")
            count = write_las(scan, points)
            read_whole = [sys.executable, "-c", WHOLE.format(scan=scan)]
            for allocator in args.allocators:
                out = os.path.join(tmp, f"out-{points}-{allocator}")
                convert = [sys.executable, "tools/prepare_data.py", scan, "--out", out, *OPTIONS]
                result = measure_in_child(convert, allocator)
                whole = measure_in_child(read_whole, allocator)
                with open(os.path.join(out, "meta.json")) as f:
                    scenes = len(json.load(f)["scenes"])
                row = dict(points=count, allocator=allocator, **result, points_per_s=round(count / result["seconds"]))
                row.update(scenes=scenes, read_whole_peak_mib=whole["peak_mib"])
                rows.append(row)
                print(json.dumps(row), flush=True)
            os.remove(scan)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
