"""Backbone training step: time and peak memory for B = 1, 2, 4, 8 scenes of 8k points, CSP (the batch is one
sequence) vs independent mode (state reset per scene), and the same network with the mixer swapped for PTv3-style
patch attention (patch 1024, plain PyTorch SDPA) at equal width, as the baseline a user would pick instead.
Scenes are dense crops of procedural rooms (GridSample + SphereCrop + CenterShift, tools/bench/scenes.py); the
tokens of every encoder stage are printed, so the pooling is visible.

On the CPU each case runs in a fresh subprocess (peak RSS above the inputs, over all steps), with glibc's default
allocator and `MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<large>`, one thread; ratios are within one run and one
allocator. With `--device cuda` the cases run in this process (CUDA events, peak from the caching allocator),
optionally under bf16 autocast as the pre-training configs train.

    python tools/bench/bench_backbone.py                      # B = 1 2 4 8, 8k points, the "small" preset
    python tools/bench/bench_backbone.py --batches 1 2 --points 4096 --json exp/bench/backbone.json
    python tools/bench/bench_backbone.py --device cuda --preset base --batches 2 8 16 --points 80000 --amp bf16
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


MIXERS = (("gated_delta", "csp"), ("gated_delta", "independent"), ("patch_attention", "independent"))


def build_backbone(preset: str, mixer: str, mode: str, recompute: str = "none"):
    from pointcept_csp import host

    mixer_cfg = dict(patch_size=1024) if mixer == "patch_attention" else {}
    return host.build_model(
        dict(
            type="PointCSP-SSM-v1m1",
            in_channels=6,
            mixer=mixer,
            mixer_cfg=mixer_cfg,
            cross_sample=mode == "csp",
            shuffle_tokens=True,
            recompute=recompute,
            **PRESETS[preset],
        )
    ).train()


def worker(preset: str, mixer: str, mode: str, batch: int, points: int, repeats: int) -> dict:
    """One CPU case in this fresh process: median step seconds and peak RSS above the inputs, over all steps."""
    import torch

    from tools.bench.scenes import room_batch, tokens_per_stage

    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = room_batch(batch, points, grid_size=0.02, first_seed=100)
    model = build_backbone(preset, mixer, mode)
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
    return dict(
        step_s=statistics.median(times),
        peak_mib=max(peak_mib() - base, 0.0),
        tokens=int(data["offset"][-1]),
        stage_tokens=tokens_per_stage(out),
    )


def cuda_rows(preset: str, batches: list[int], points: int, repeats: int, amp: str) -> list[dict]:
    """Every case on the current CUDA device in this process; a failing case is reported and skipped."""
    import torch

    from tools.bench.scenes import room_batch, tokens_per_stage

    torch.manual_seed(0)
    scenes = room_batch(max(batches), points, grid_size=0.02, first_seed=100)
    rows = []
    for batch in batches:
        end = int(scenes["offset"][batch - 1])
        data = {k: (v[:batch] if k == "offset" else v[:end]).to("cuda") for k, v in scenes.items()}
        for mixer, mode in MIXERS:
            row = dict(allocator="cuda", batch=batch, mixer=mixer, mode=mode, amp=amp, tokens=end)
            try:
                model = build_backbone(preset, mixer, mode).to("cuda")
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
                base = torch.cuda.memory_allocated()
                times = []
                for i in range(repeats + 1):
                    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    start.record()
                    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp == "bf16"):
                        out = model(data)
                        loss = out["feat"].float().pow(2).mean()
                    loss.backward()
                    model.zero_grad(set_to_none=True)
                    stop.record()
                    torch.cuda.synchronize()
                    if i:
                        times.append(start.elapsed_time(stop) / 1000)
                row.update(
                    step_s=statistics.median(times),
                    peak_mib=(torch.cuda.max_memory_allocated() - base) / 2**20,
                    stage_tokens=tokens_per_stage(out),
                    finite=bool(torch.isfinite(loss).item()),
                )
                del model, out, loss
            except Exception as e:  # noqa: BLE001  (a benchmark row records the failure and the run goes on)
                row["error"] = f"{type(e).__name__}: {str(e)[:300]}"
            torch.cuda.empty_cache()
            rows.append(row)
            print_row(row)
    return rows


def print_row(row: dict) -> None:
    head = f"{row['allocator']:8s} B={row['batch']:<2d} {row['mixer']:15s} {row['mode']:11s} tokens {row['tokens']:7d}"
    if "error" in row:
        print(f"{head} FAILED {row['error']}", flush=True)
        return
    stages = "/".join(str(t) for t in row["stage_tokens"])
    print(f"{head} step {row['step_s']:7.3f}s peak {row['peak_mib']:8.1f} MiB  stages {stages}", flush=True)


def cpu_rows(args) -> list[dict]:
    rows = []
    for allocator, extra in ALLOCATORS.items():
        for batch in args.batches:
            for mixer, mode in MIXERS:
                env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT, **extra)
                cmd = [sys.executable, os.path.abspath(__file__), "--worker", args.preset, mixer, mode, str(batch)]
                cmd += [str(args.points), str(args.repeats)]
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise RuntimeError(proc.stderr[-3000:])
                row = dict(allocator=allocator, batch=batch, mixer=mixer, mode=mode)
                row.update(json.loads(proc.stdout.strip().splitlines()[-1]))
                rows.append(row)
                print_row(row)
    return rows


def print_ratios(rows: list[dict], batches: list[int]) -> None:
    print("\nratios (same run, same allocator):")
    for allocator in dict.fromkeys(r["allocator"] for r in rows):
        ok = {(r["batch"], r["mixer"], r["mode"]): r for r in rows if r["allocator"] == allocator and "error" not in r}
        for batch in batches:
            csp, ind, att = (ok.get((batch, *m)) for m in MIXERS)
            if not (csp and ind and att):
                continue
            print(
                f"  {allocator:8s} B={batch}: CSP/independent time {csp['step_s'] / ind['step_s']:.3f}, "
                f"memory {csp['peak_mib'] / max(ind['peak_mib'], 1e-9):.3f}; SSM/patch-attention time "
                f"{ind['step_s'] / att['step_s']:.2f}, memory {ind['peak_mib'] / max(att['peak_mib'], 1e-9):.2f}"
            )
        a, b = ok.get((min(batches), *MIXERS[0])), ok.get((max(batches), *MIXERS[0]))
        if a and b and a is not b:
            print(
                f"  {allocator:8s} CSP B={b['batch']} vs B={a['batch']}: tokens x{b['tokens'] / a['tokens']:.1f}, "
                f"time x{b['step_s'] / a['step_s']:.2f}, memory x{b['peak_mib'] / max(a['peak_mib'], 1e-9):.2f}"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--preset", default="small", choices=sorted(PRESETS))
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--points", type=int, default=8192, help="points per scene after GridSample + SphereCrop")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--amp", default="none", choices=["none", "bf16"], help="CUDA only: bf16 autocast")
    parser.add_argument("--json", default=os.path.join(ROOT, "exp", "bench", "backbone.json"))
    args = parser.parse_args()
    if args.worker:
        preset, mixer, mode, batch, points, repeats = args.worker
        print(json.dumps(worker(preset, mixer, mode, int(batch), int(points), int(repeats))))
        return
    if args.device == "cpu" and args.amp != "none":
        parser.error("--amp bf16 applies to --device cuda only")
    if args.device == "cuda":
        rows = cuda_rows(args.preset, args.batches, args.points, args.repeats, args.amp)
    else:
        rows = cpu_rows(args)
    print_ratios(rows, args.batches)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(rows, f, indent=1)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
