"""The CPU paths that keep a training step's memory traffic in cache, each against the plain formulation it replaced,
in one run: forward + backward time, new / plain as a ratio, at the token counts of the benchmark backbone's stages
for B = 1 and B = 8 realistic scenes (`tools/bench/scenes.py`).

- gather: `ops.permute.permute_rows` (index_select, backward by the inverse permutation) vs `x[order]`;
- short conv: `ops.short_conv` (shifted multiply-adds in row-major layout) vs a causal depthwise `F.conv1d` + SiLU,
  each followed by the L2 normalisation its q/k outputs get in the mixer;
- L2 norm: `ops.norms.l2_normalize` vs its autograd formula (`l2_normalize_reference`);
- sparse conv: `ops.sparse.submanifold_conv` with pairs in tiles of `TILE_ROWS` output rows vs one tile.

Every case runs in a fresh subprocess with one thread, with glibc's default allocator and with no-trim; cases
interleaved, median of `--repeats` after a warm-up.

    OMP_NUM_THREADS=1 python tools/bench/bench_cpu_paths.py
    OMP_NUM_THREADS=1 python tools/bench/bench_cpu_paths.py --cases sparse-conv --repeats 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tools.bench.bench_backbone import ALLOCATORS  # noqa: E402

# (tokens, channels, heads) of the "small" preset's stages 0 and 1 at B = 1 and B = 8 (tools/bench/scenes.py)
STAGES = ((8192, 32, 2), (65536, 32, 2), (2976, 64, 4), (24472, 64, 4))
CASES = ("gather", "short-conv", "l2-norm", "sparse-conv")


def conv1d_silu(x, weight):
    """The plain causal depthwise conv: channels-first, left-padded, transposed back."""
    import torch.nn.functional as F

    width = weight.shape[1]
    y = F.conv1d(F.pad(x[0].t()[None], (width - 1, 0)), weight[:, None, :], groups=x.shape[-1])[0].t()
    return F.silu(y)[None]


def make_case(case: str, tokens: int, channels: int, heads: int, variant: str):
    """A closure running forward + backward of `case` ("new" or "plain") on fixed random inputs."""
    import torch

    from pointcept_csp.ops import norms, short_conv
    from pointcept_csp.ops.permute import permute_rows

    torch.manual_seed(0)
    K = channels // heads
    if case == "gather":
        x = torch.randn(tokens, channels, requires_grad=True)
        order = torch.randperm(tokens)
        inverse = torch.empty_like(order)
        inverse[order] = torch.arange(tokens)
        upstream = torch.randn(tokens, channels)
        gather = (lambda: permute_rows(x, order, inverse)) if variant == "new" else (lambda: x[order])
        return lambda: (gather() * upstream).sum().backward()
    if case == "short-conv":  # q, k, v of the mixer: 3 * channels wide, a column slice of the fused projections
        fused = torch.randn(1, tokens, 4 * channels + 2 * heads, requires_grad=True)
        weight = torch.randn(3 * channels, 4, requires_grad=True)
        upstream = torch.randn(1, tokens, 2 * heads, K)

        def run():
            qkv = fused[..., : 3 * channels]
            y = short_conv(qkv, weight) if variant == "new" else conv1d_silu(qkv, weight)
            qk = y[..., : 2 * channels].reshape(1, tokens, 2 * heads, K)
            (norms.l2_normalize_reference(qk) * upstream).sum().backward()

        return run
    if case == "l2-norm":  # q and k of the mixer: a column slice of the short conv's output
        fused = torch.randn(1, tokens, 3 * channels, requires_grad=True)
        upstream = torch.randn(1, tokens, 2 * heads, K)
        fn = norms.l2_normalize if variant == "new" else norms.l2_normalize_reference
        return lambda: (fn(fused[..., : 2 * channels].reshape(1, tokens, 2 * heads, K)) * upstream).sum().backward()
    if case == "sparse-conv":
        from pointcept_csp.models.hierarchy import input_level
        from pointcept_csp.ops.sparse import offset_pairs, submanifold_conv
        from tools.bench.scenes import room_batch

        batch = max(1, round(tokens / 8192))
        level, _, _ = input_level(room_batch(batch, 8192, grid_size=0.02, first_seed=100), 6, None)
        n = level.feat.shape[0]
        pairs = offset_pairs(level.grid.neighbors(3), None if variant == "new" else n)
        x = torch.randn(n, channels, requires_grad=True)
        weight = torch.randn(27, channels, channels, requires_grad=True)
        upstream = torch.randn(n, channels)
        return lambda: (submanifold_conv(x, weight, pairs) * upstream).sum().backward()
    raise ValueError(f"case must be one of {CASES}, got {case!r}")


def worker(case: str, tokens: int, channels: int, heads: int, variant: str, repeats: int) -> dict:
    import torch

    torch.set_num_threads(1)
    run = make_case(case, tokens, channels, heads, variant)
    run()  # warm-up
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        run()
        times.append(time.perf_counter() - tic)
    return dict(ms=statistics.median(times) * 1e3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", default=os.path.join(ROOT, "exp", "bench", "cpu_paths.json"))
    args = parser.parse_args()
    if args.worker:
        case, tokens, channels, heads, variant, repeats = args.worker
        print(json.dumps(worker(case, int(tokens), int(channels), int(heads), variant, int(repeats))))
        return
    rows = []
    print("| allocator | case | tokens x channels | plain (ms) | new (ms) | new / plain |\n|---|---|---|---|---|---|")
    for case in args.cases:
        stages = STAGES[:2] if case == "sparse-conv" else STAGES  # scenes give the conv's tokens; stage 0 only
        for tokens, channels, heads in stages:
            for allocator, extra in ALLOCATORS.items():
                env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT, **extra)
                row = dict(allocator=allocator, case=case, tokens=tokens, channels=channels)
                for variant in ("plain", "new"):
                    cmd = [sys.executable, os.path.abspath(__file__), "--worker", case, str(tokens), str(channels)]
                    cmd += [str(heads), variant, str(args.repeats)]
                    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
                    if proc.returncode != 0:
                        raise RuntimeError(f"{case} {tokens} {variant}: {proc.stderr[-3000:]}")
                    row[variant] = json.loads(proc.stdout.strip().splitlines()[-1])["ms"]
                rows.append(row)
                print(
                    f"| {allocator} | {case} | {tokens} x {channels} | {row['plain']:.2f} | {row['new']:.2f} | "
                    f"{row['new'] / row['plain']:.2f} |",
                    flush=True,
                )
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(rows, f, indent=1)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
