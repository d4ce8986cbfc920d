"""Backbone training step: time and peak memory for B = 1, 2, 4, 8 scenes of 8k points, CSP (the batch is one
sequence) vs independent mode (state reset per scene), and the same network with the mixer swapped for PTv3-style
patch attention (patch 1024, plain PyTorch SDPA) at equal width, as the baseline a user would pick instead.

Each case runs in a fresh subprocess (peak RSS above the inputs, over all steps), with glibc's default allocator and
`MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<large>`. One thread. Ratios are within one run and one allocator.

    python tools/bench/bench_backbone.py                      # B = 1 2 4 8, 8k points, the "small" preset
    python tools/bench/bench_backbone.py --batches 1 2 --points 4096 --json exp/bench/backbone.json
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

from tools.bench.memory import peak_mib, reset_peak, rss_mib  # noqa: E402

ALLOCATORS = {"default": {}, "no-trim": {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 40)}}
PRESETS = {
    # a 4-stage CPU-sized network; "base" is configs/_base_/model/pointcsp-ssm-base.py (GPU-sized)
    "small": dict(
        enc_depths=(1, 1, 2, 1),
        enc_channels=(32, 64, 128, 256),
        enc_num_head=(2, 4, 8, 16),
        stride=(2, 2, 2),
        dec_depths=(1, 1, 1),
        dec_channels=(32, 64, 128),
        dec_num_head=(2, 4, 8),
        mlp_ratio=2,
        drop_path=0.0,
    ),
    "base": dict(),
}


def worker(preset: str, mixer: str, mode: str, batch: int, points: int, repeats: int) -> dict:
    import torch

    from pointcept_csp import host
    from tools.bench.scenes import room_batch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = room_batch(batch, points, grid_size=0.02, first_seed=100)
    mixer_cfg = dict(patch_size=1024) if mixer == "patch_attention" else {}
    model = host.build_model(
        dict(
            type="PointCSP-SSM-v1m1",
            in_channels=6,
            mixer=mixer,
            mixer_cfg=mixer_cfg,
            cross_sample=mode == "csp",
            shuffle_tokens=True,
            **PRESETS[preset],
        )
    ).train()
    times = []
    reset_peak()  # the peak covers every step, the warm-up included (its buffers are the ones later steps reuse)
    base = rss_mib()
    for i in range(repeats + 1):  # the first step is a warm-up (allocation, caches), untimed
        tic = time.perf_counter()
        out = model(data)
        out["feat"].pow(2).mean().backward()
        model.zero_grad(set_to_none=True)
        if i:
            times.append(time.perf_counter() - tic)
    return dict(step_s=statistics.median(times), peak_mib=max(peak_mib() - base, 0.0), tokens=int(data["offset"][-1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--preset", default="small", choices=sorted(PRESETS))
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--points", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", default=os.path.join(ROOT, "exp", "bench", "backbone.json"))
    args = parser.parse_args()
    if args.worker:
        preset, mixer, mode, batch, points, repeats = args.worker
        print(json.dumps(worker(preset, mixer, mode, int(batch), int(points), int(repeats))))
        return
    rows = []
    for allocator, extra in ALLOCATORS.items():
        for batch in args.batches:
            for mixer, mode in (
                ("gated_delta", "csp"),
                ("gated_delta", "independent"),
                ("patch_attention", "independent"),
            ):
                env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT, **extra)
                cmd = [
                    sys.executable,
                    os.path.abspath(__file__),
                    "--worker",
                    args.preset,
                    mixer,
                    mode,
                    str(batch),
                    str(args.points),
                    str(args.repeats),
                ]
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise RuntimeError(proc.stderr[-3000:])
                row = dict(
                    allocator=allocator,
                    batch=batch,
                    mixer=mixer,
                    mode=mode,
                    **json.loads(proc.stdout.strip().splitlines()[-1]),
                )
                rows.append(row)
                print(
                    f"{allocator:8s} B={batch} {mixer:15s} {mode:11s} tokens {row['tokens']:6d} "
                    f"step {row['step_s']:7.3f}s peak {row['peak_mib']:8.1f} MiB",
                    flush=True,
                )
    print("\nratios (same run, same allocator):")
    for allocator in ALLOCATORS:
        for batch in args.batches:
            get = {(r["mixer"], r["mode"]): r for r in rows if r["allocator"] == allocator and r["batch"] == batch}
            csp, ind, att = (
                get[("gated_delta", "csp")],
                get[("gated_delta", "independent")],
                get[("patch_attention", "independent")],
            )
            print(
                f"  {allocator:8s} B={batch}: CSP/independent time {csp['step_s'] / ind['step_s']:.3f}, "
                f"memory {csp['peak_mib'] / max(ind['peak_mib'], 1e-9):.3f}; SSM/patch-attention time "
                f"{ind['step_s'] / att['step_s']:.2f}, memory {ind['peak_mib'] / max(att['peak_mib'], 1e-9):.2f}"
            )
        first, last = min(args.batches), max(args.batches)
        a = [r for r in rows if r["allocator"] == allocator and r["mode"] == "csp" and r["batch"] == first][0]
        b = [r for r in rows if r["allocator"] == allocator and r["mode"] == "csp" and r["batch"] == last][0]
        print(
            f"  {allocator:8s} CSP B={last} vs B={first}: tokens x{b['tokens'] / a['tokens']:.1f}, time "
            f"x{b['step_s'] / a['step_s']:.2f}, memory x{b['peak_mib'] / max(a['peak_mib'], 1e-9):.2f}"
        )
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(rows, f, indent=1)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
