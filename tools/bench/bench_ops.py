"""Benchmark the sequence ops: forward and forward+backward time and peak memory, torch backend vs token-loop
reference, CSP (one sequence) vs independent mode (state reset per sample); on a GPU also fla/mamba vs torch.

Each case runs in a fresh subprocess (peak RSS is per process), once with glibc's default allocator and once with
`MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<large>` (freed buffers kept, no page-fault churn). One thread.

    python tools/bench/bench_ops.py                       # T = 4k, 16k, 64k; reference up to 16k
    python tools/bench/bench_ops.py --lengths 4096 --json exp/bench/ops.json
    python tools/bench/bench_ops.py --device cuda --lengths 16384 65536 262144   # GPU rows, in this process

With `--device cuda` every GPU backend that is installed (torch's chunked kernels on CUDA, fla, mamba-ssm) runs in
this process, timed with CUDA events after a warm-up (Triton compiles then), peak from the caching allocator.
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


def make_inputs(op: str, T: int, device: str):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    kw = dict(device=device)
    if op == "gated_delta":
        H, K = 2, 64
        q, k = (F.normalize(torch.randn(1, T, H, K, **kw), dim=-1) for _ in range(2))
        args = [
            q,
            k,
            torch.randn(1, T, H, K, **kw),
            F.logsigmoid(torch.randn(1, T, H, **kw)),
            torch.rand(1, T, H, **kw),
        ]
    else:
        H, P, N = 4, 64, 64
        args = [
            torch.randn(1, T, H, P, **kw),
            F.softplus(torch.randn(1, T, H, **kw)),
            -torch.rand(H, **kw),
            torch.randn(1, T, 1, N, **kw),
            torch.randn(1, T, 1, N, **kw),
        ]
    return [a.requires_grad_() for a in args]


def worker(op: str, impl: str, T: int, mode: str, samples: int, repeats: int, which: str) -> dict:
    """Time one CPU case (`which`: "fwd" or "fwd_bwd", `impl`: "torch" or "reference") in this fresh process;
    returns seconds (median of repeats) and the peak RSS above the inputs in MiB."""
    import torch

    from pointcept_csp import ops

    torch.set_num_threads(1)
    device, backend = "cpu", impl
    inputs = make_inputs(op, T, device)
    cu = None
    if mode == "independent":
        bounds = [round(i * T / samples) for i in range(samples + 1)]
        cu = torch.tensor(bounds, device=device)
    fn = {"gated_delta": {"reference": ops.gated_delta_rule_reference}, "ssd": {"reference": ops.ssd_reference}}[
        op
    ].get(impl)
    if fn is None:
        entry = ops.gated_delta_rule if op == "gated_delta" else ops.ssd
        fn = lambda *a, **k: entry(*a, backend=backend, **k)  # noqa: E731

    def forward():
        with torch.no_grad():
            fn(*inputs, cu_seqlens=cu)

    def forward_backward():
        out, _ = fn(*inputs, cu_seqlens=cu)
        out.sum().backward()

    result = {}
    for name, step in (("fwd", forward), ("fwd_bwd", forward_backward)):
        if name != which:
            continue
        reset_peak()
        base = rss_mib()
        times = []
        for i in range(repeats + (impl != "reference")):  # one warm-up run, except for the slow token loop
            tic = time.perf_counter()
            step()
            if i or impl == "reference":
                times.append(time.perf_counter() - tic)
        result[name] = statistics.median(times)
        result[name + "_mem_mib"] = max(peak_mib() - base, 0.0)
    return result


def cuda_rows(ops_: list[str], lengths: list[int], samples: int, repeats: int) -> list[dict]:
    """GPU rows: each installed CUDA backend, CSP and independent mode, fwd and fwd+bwd; failures are reported."""
    import torch

    from pointcept_csp import ops
    from pointcept_csp.ops.backend import has_package

    rows = []
    for op in ops_:
        entry = ops.gated_delta_rule if op == "gated_delta" else ops.ssd
        backends = ["torch"] + [b for b in ("fla", "mamba") if has_package(b) and (b != "mamba" or op == "ssd")]
        for T in lengths:
            inputs = make_inputs(op, T, "cuda")
            for backend in backends:
                for mode in ("csp", "independent"):
                    cu = None
                    if mode == "independent":
                        cu = torch.tensor([round(i * T / samples) for i in range(samples + 1)], device="cuda")
                    row = dict(op=op, impl="torch-cuda" if backend == "torch" else backend, T=T, mode=mode)
                    row["allocator"] = "cuda"
                    try:
                        for which in ("fwd", "fwd_bwd"):
                            row[which], row[which + "_mem_mib"] = time_cuda(entry, inputs, cu, backend, which, repeats)
                    except Exception as e:  # noqa: BLE001  (a benchmark row records the failure and the run goes on)
                        row["error"] = f"{type(e).__name__}: {str(e)[:300]}"
                        print(f"cuda     {op:12s} {row['impl']:10s} T={T:6d} {mode:11s} FAILED {row['error']}")
                        continue
                    rows.append(row)
                    print(
                        f"cuda     {op:12s} {row['impl']:10s} T={T:6d} {mode:11s} fwd {row['fwd'] * 1e3:8.2f}ms "
                        f"fwd+bwd {row['fwd_bwd'] * 1e3:8.2f}ms  peak {row['fwd_bwd_mem_mib']:8.1f} MiB",
                        flush=True,
                    )
    return rows


def time_cuda(entry, inputs, cu, backend: str, which: str, repeats: int) -> tuple[float, float]:
    """Median seconds over `repeats` after one warm-up, and the peak memory above the inputs (MiB)."""
    import torch

    def step():
        if which == "fwd":
            with torch.no_grad():
                entry(*inputs, cu_seqlens=cu, backend=backend)
        else:
            out, _ = entry(*inputs, cu_seqlens=cu, backend=backend)
            out.sum().backward()
            for x in inputs:
                x.grad = None

    step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    times = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        step()
        stop.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(stop) / 1000)
    return statistics.median(times), (torch.cuda.max_memory_allocated() - base) / 2**20


def run_case(op, impl, T, mode, samples, repeats, allocator) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT, **ALLOCATORS[allocator])
    row = dict(op=op, impl=impl, T=T, mode=mode, allocator=allocator)
    for which in ("fwd", "fwd_bwd"):
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            "--worker",
            op,
            impl,
            str(T),
            mode,
            str(samples),
            str(repeats),
            which,
        ]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"case {op}/{impl}/{T}/{mode}/{which} failed:\n{proc.stderr[-3000:]}")
        row.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs=7, help=argparse.SUPPRESS)
    parser.add_argument("--ops", nargs="+", default=["gated_delta", "ssd"])
    parser.add_argument("--lengths", nargs="+", type=int, default=[4096, 16384, 65536])
    parser.add_argument("--reference-max", type=int, default=16384, help="longest T for the token-loop reference")
    parser.add_argument("--samples", type=int, default=8, help="samples per batch in independent mode")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="cuda: the GPU rows only")
    parser.add_argument("--json", default=os.path.join(ROOT, "exp", "bench", "ops.json"))
    args = parser.parse_args()
    if args.worker:
        op, impl, T, mode, samples, repeats, which = args.worker
        print(json.dumps(worker(op, impl, int(T), mode, int(samples), int(repeats), which)))
        return
    if args.device == "cuda":
        rows = cuda_rows(args.ops, args.lengths, args.samples, args.repeats)
        print_gpu_ratios(rows)
        write_json(rows, args.json)
        return

    impls = ["torch"]
    rows = []
    for allocator in ALLOCATORS:
        for op in args.ops:
            for T in args.lengths:
                # the token loop is slow and allocator-insensitive in ratio terms: default allocator only
                with_ref = T <= args.reference_max and allocator == "default"
                for impl in impls + (["reference"] if with_ref else []):
                    if impl == "mamba" and op != "ssd":
                        continue
                    for mode in ("csp", "independent"):
                        if impl == "reference" and mode == "independent":
                            continue
                        repeats = 1 if impl == "reference" else args.repeats
                        try:
                            row = run_case(op, impl, T, mode, args.samples, repeats, allocator)
                        except RuntimeError as e:
                            print(f"skipped: {e}", file=sys.stderr)
                            continue
                        rows.append(row)
                        print(
                            f"{allocator:8s} {op:12s} {impl:10s} T={T:6d} {mode:11s} fwd {row['fwd']:8.3f}s "
                            f"fwd+bwd {row['fwd_bwd']:8.3f}s  peak {row['fwd_bwd_mem_mib']:8.1f} MiB",
                            flush=True,
                        )
    print_ratios(rows)
    write_json(rows, args.json)


def write_json(rows: list[dict], path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(rows, f, indent=1)
    print(f"wrote {path}")


def print_gpu_ratios(rows: list[dict]) -> None:
    print("\nratios (same run):")
    get = {(r["op"], r["impl"], r["T"], r["mode"]): r for r in rows}
    for op, impl, T, mode in sorted(get):
        base = get.get((op, "torch-cuda", T, mode))
        if impl != "torch-cuda" and base:
            speedup = base["fwd_bwd"] / get[(op, impl, T, mode)]["fwd_bwd"]
            print(f"  {op:12s} T={T:6d} {mode:11s} torch-cuda/{impl} fwd+bwd {speedup:.1f}x")
        if impl != "torch-cuda" or mode != "csp":
            continue
        indep = get.get((op, impl, T, "independent"))
        if indep:
            print(f"  {op:12s} T={T:6d} torch-cuda independent/CSP fwd+bwd {indep['fwd_bwd'] / base['fwd_bwd']:.2f}x")


def print_ratios(rows):
    def get(**kw):
        found = [r for r in rows if all(r[k] == v for k, v in kw.items())]
        return found[0] if found else None

    print("\nratios (same run, same allocator):")
    for allocator in ALLOCATORS:
        for op in sorted({r["op"] for r in rows}):
            lengths = sorted({r["T"] for r in rows if r["op"] == op})
            for T in lengths:
                torch_csp = get(allocator=allocator, op=op, impl="torch", T=T, mode="csp")
                indep = get(allocator=allocator, op=op, impl="torch", T=T, mode="independent")
                ref = get(allocator=allocator, op=op, impl="reference", T=T, mode="csp")
                parts = []
                if ref and torch_csp:
                    parts.append(f"reference/torch fwd+bwd {ref['fwd_bwd'] / torch_csp['fwd_bwd']:.1f}x")
                if indep and torch_csp:
                    parts.append(f"independent/CSP {indep['fwd_bwd'] / torch_csp['fwd_bwd']:.2f}x")
                print(f"  {allocator:8s} {op:12s} T={T:6d} " + ", ".join(parts))
            if len(lengths) >= 2:
                lo, hi = lengths[-2], lengths[-1]
                a, b = (
                    get(allocator=allocator, op=op, impl="torch", T=lo, mode="csp"),
                    get(allocator=allocator, op=op, impl="torch", T=hi, mode="csp"),
                )
                if a and b:
                    print(
                        f"  {allocator:8s} {op:12s} time({hi})/time({lo}) = {b['fwd_bwd'] / a['fwd_bwd']:.2f}, "
                        f"peak({hi})/peak({lo}) = {b['fwd_bwd_mem_mib'] / max(a['fwd_bwd_mem_mib'], 1e-9):.2f}"
                    )


if __name__ == "__main__":
    main()
