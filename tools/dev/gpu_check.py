"""One prepared GPU check (docs/gpu.md): the CUDA tests, the GPU benchmarks and a short full-width pre-training run,
each in its own process with a time budget, then one summary table. Called by tools/gpu_check.sh, which first
unpacks the carried GPU packages (.whl/gpu-site.tar.xz) into a temporary site.

    sh tools/gpu_check.sh --out $OUT          # on a CUDA machine, about 5 minutes on an H200
    sh tools/gpu_check.sh --dry-run           # anywhere: checks that everything it would run exists and parses
    sh tools/gpu_check.sh --only tests ops    # some parts only

Parts: env (versions, device); tests (`pytest -m "requires_cuda or fla"`: fla's kernels against the float64
references, mixers, backbone and SPD pair, forward and backward with final states and resets; spconv vs the native
conv; backbone CUDA vs CPU; a bf16 autocast training step); ops (bench_ops GPU rows); backbone (training step at
B = 2 / 8 / 16 dense scenes of 80k points, CSP vs independent vs patch attention, bf16); pretrain (the ScanNet recipe
at full width on dense procedural rooms); reach (the CSP reach report on the pre-trained checkpoint).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

PRETRAIN_CFG = "configs/demo/pretrain-pointcsp-gpu.py"
CUDA_TEST_FILES = [
    "tests/ops/test_fla_kernels.py",
    "tests/ops/test_sequence_ops.py",
    "tests/ops/test_sparse.py",
    "tests/models/test_backbone.py",
]
CUDA_TESTS = "requires_cuda or fla"  # the fla tests run on CPU tensors under Triton's interpreter elsewhere
# about 9 min at most; the first GPU run (2026-12-04) spent 100 s of tests compiling fla's autotuned kernels
BUDGET_S = dict(env=30, tests=200, ops=45, backbone=85, pretrain=150, reach=25)
PRETRAIN_ROOMS, PRETRAIN_BATCH = 16, 4  # as in configs/demo/pretrain-pointcsp-gpu.py

ENV_SCRIPT = """
import json, importlib, torch
info = dict(torch=torch.__version__, cuda=torch.version.cuda, device=torch.cuda.get_device_name(0)
            if torch.cuda.is_available() else None)
for name in ("triton", "fla", "spconv", "cumm", "mamba_ssm"):
    try:
        info[name] = getattr(importlib.import_module(name), "__version__", "installed")
    except Exception as e:
        info[name] = "missing (" + type(e).__name__ + ")"
if torch.cuda.is_available():
    x = torch.randn(4096, 4096, device="cuda")
    torch.cuda.synchronize()
    info["cuda_ok"] = bool(torch.isfinite(x @ x).all().item())
print("ENV " + json.dumps(info))
"""


def part_commands(args, py: str) -> dict[str, list[list[str]]]:
    """The command lines of each part (a part may run several commands in turn)."""
    work = args.work
    rooms = os.path.join(work, "rooms")
    steps = args.pretrain_steps
    loops = max(1, round(steps * PRETRAIN_BATCH / PRETRAIN_ROOMS))
    write_rooms = (
        "import sys; sys.path.insert(0, '.'); from pointcept_csp.datasets.synthetic import write_rooms; "
        f"write_rooms({rooms!r}, 'scannet', dict(train=list(range(3000, {3000 + PRETRAIN_ROOMS}))), density=600)"
    )
    return dict(
        env=[[py, "-c", ENV_SCRIPT]],
        tests=[
            [py, "-m", "pytest", "-m", CUDA_TESTS, "-o", "addopts=", "-p", "no:cacheprovider", "-v", "-rs"]
            + ["--tb=short"]
            + CUDA_TEST_FILES
        ],
        ops=[
            [py, "tools/bench/bench_ops.py", "--device", "cuda", "--lengths", "16384", "65536"]
            + ["--repeats", "3", "--json", os.path.join(work, "ops.json")]
        ],
        backbone=[
            [py, "tools/bench/bench_backbone.py", "--device", "cuda", "--preset", "base", "--batches", "2", "8", "16"]
            + ["--points", "80000", "--repeats", "2", "--amp", "bf16", "--json", os.path.join(work, "backbone.json")]
        ],
        pretrain=[
            [py, "-c", write_rooms],
            [py, "tools/train.py", "--config-file", PRETRAIN_CFG, "--options", f"save_path={work}/pretrain"]
            + [f"data.train.data_root={rooms}", f"epoch={loops}", f"eval_epoch={loops}"],
        ],
        reach=[
            [
                py,
                "tools/csp_reach.py",
                "--config-file",
                PRETRAIN_CFG,
                "--weight",
                f"{work}/pretrain/model/model_last.pth",
            ]
            + ["--points", "8000", "--scenes", "3", "--json", os.path.join(work, "reach.json")]
        ],
    )


def dry_run(args, py: str) -> int:
    """Every script, config and test the check would run exists and parses; the CUDA tests are collected."""
    problems = []
    commands = part_commands(args, py)
    for part in args.only:
        for cmd in commands[part]:
            script = next((c for c in cmd[1:] if c.endswith(".py")), None)
            if script and not os.path.exists(os.path.join(ROOT, script)):
                problems.append(f"{part}: {script} is missing")
            sources = [(script, open(os.path.join(ROOT, script)).read())] if script and not problems else []
            if cmd[1] == "-c":
                sources.append((f"<{part} inline script>", cmd[2]))
            for name, source in sources:
                try:
                    compile(source, name, "exec")
                except SyntaxError as e:
                    problems.append(f"{part}: {name} does not parse: {e}")
            print(f"{part}: " + " ".join(cmd if cmd[1] != "-c" else cmd[:2] + ["<script>"]))
    if "pretrain" in args.only:
        from pointcept_csp import host

        cfg = host.load_config(os.path.join(ROOT, PRETRAIN_CFG))
        host.build_model(cfg.model)  # the full-width model builds on the CPU (no CUDA call at construction)
        print(f"pretrain: {PRETRAIN_CFG} parses and its model builds")
    if "tests" in args.only:
        proc = subprocess.run(
            [
                py,
                "-m",
                "pytest",
                "--collect-only",
                "-q",
                "-m",
                CUDA_TESTS,
                "-o",
                "addopts=",
                "-p",
                "no:cacheprovider",
            ]
            + CUDA_TEST_FILES,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        collected = [line for line in proc.stdout.splitlines() if "::" in line]
        if proc.returncode != 0 or not collected:
            problems.append(f"tests: collecting the CUDA tests failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        print(f"tests: {len(collected)} CUDA tests collected")
    for problem in problems:
        print("PROBLEM " + problem, file=sys.stderr)
    print("dry run: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


def run_part(part: str, commands: list[list[str]], budget: float, out: str) -> dict:
    """Run a part's commands in turn within its budget; the output goes to <out>/<part>.log."""
    env = dict(
        os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    )
    log_path = os.path.join(out, f"{part}.log")
    tic = time.perf_counter()
    status = "ok"
    with open(log_path, "w") as log:
        for cmd in commands:
            left = budget - (time.perf_counter() - tic)
            log.write(f"$ {' '.join(cmd if cmd[1] != '-c' else cmd[:2] + ['<script>'])}\n")
            log.flush()
            try:
                proc = subprocess.run(
                    cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=max(left, 1)
                )
            except subprocess.TimeoutExpired:
                status = f"timeout ({budget:.0f} s)"
                break
            if proc.returncode != 0:
                status = f"exit {proc.returncode}"
                break
    seconds = time.perf_counter() - tic
    with open(log_path) as f:
        text = f.read()
    print(f"[{part}] {status} in {seconds:.0f} s", flush=True)
    return dict(part=part, status=status, seconds=round(seconds, 1), log=text)


def summarize(part: str, result: dict, work: str) -> dict:
    """The figures of one part, from its log and JSON."""
    text = result["log"]
    if part == "env":
        found = re.findall(r"^ENV (.*)$", text, re.M)
        return json.loads(found[-1]) if found else {}
    if part == "tests":
        found = re.findall(r"^=*\s*((?:\d+ \w+(?:, )?)+) in [\d.]+s", text, re.M)
        failed = re.findall(r"^FAILED (\S+)", text, re.M)
        return dict(counts=found[-1] if found else "no result line", failed=failed)
    if part in ("ops", "backbone"):
        path = os.path.join(work, f"{part}.json")
        if not os.path.exists(path):
            return {}
        with open(path) as f:
            return dict(rows=json.load(f))
    if part == "reach":
        found = re.findall(r"^CSP: (.*)$", text, re.M)
        return dict(headline=found[-1]) if found else {}
    if part == "pretrain":
        losses = [float(x) for x in re.findall(r"Train: .*? loss: ([-\d.naninf]+)", text)]
        return dict(
            steps=len(losses),
            first_loss=losses[0] if losses else None,
            last_loss=losses[-1] if losses else None,
            min_loss=min(losses) if losses else None,
            finite=all(x == x and abs(x) != float("inf") for x in losses),
        )
    return {}


def table(results: dict, figures: dict) -> str:
    lines = ["| part | status | seconds | figures |", "|---|---|---|---|"]
    for part, result in results.items():
        lines.append(
            f"| {part} | {result['status']} | {result['seconds']:.0f} | {short_figures(part, figures[part])} |"
        )
    for part in ("ops", "backbone"):
        rows = figures.get(part, {}).get("rows", [])
        if rows:
            lines += ["", f"**{part}**", ""] + detail_rows(part, rows)
    return "\n".join(lines)


def short_figures(part: str, fig: dict) -> str:
    if part == "env":
        keys = ("device", "torch", "cuda", "triton", "fla", "spconv", "mamba_ssm")
        return ", ".join(f"{k} {fig.get(k)}" for k in keys if k in fig)
    if part == "tests":
        return fig.get("counts", "") + (f"; failed: {', '.join(fig['failed'])}" if fig.get("failed") else "")
    if part == "pretrain" and fig.get("steps"):
        losses = f"loss {fig['first_loss']:.3f} -> {fig['last_loss']:.3f} (min {fig['min_loss']:.3f})"
        return f"{fig['steps']} steps, {losses}, finite: {fig['finite']}"
    if part in ("ops", "backbone"):
        rows = fig.get("rows", [])
        return f"{sum('error' not in r for r in rows)} rows, {sum('error' in r for r in rows)} failed"
    if part == "reach":
        return fig.get("headline", "")
    return ""


def detail_rows(part: str, rows: list[dict]) -> list[str]:
    if part == "ops":
        out = ["| op | impl | T | mode | fwd ms | fwd+bwd ms | peak MiB |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            out.append(
                f"| {r['op']} | {r['impl']} | {r['T']} | {r['mode']} | {r['fwd'] * 1e3:.2f} | {r['fwd_bwd'] * 1e3:.2f} "
                f"| {r['fwd_bwd_mem_mib']:.0f} |"
            )
        return out
    out = [
        "| B | mixer | mode | tokens | tokens per stage | step s | tokens/s | peak MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            out.append(
                f"| {r['batch']} | {r['mixer']} | {r['mode']} | {r['tokens']} | failed: {r['error'][:80]} | | | |"
            )
            continue
        stages = "/".join(str(t) for t in r["stage_tokens"])
        out.append(
            f"| {r['batch']} | {r['mixer']} | {r['mode']} | {r['tokens']} | {stages} | {r['step_s']:.3f} "
            f"| {r['tokens'] / r['step_s']:.0f} | {r['peak_mib']:.0f} |"
        )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="check that everything exists and parses; no GPU")
    parser.add_argument("--out", default=os.path.join(ROOT, "exp", "gpu_check"), help="logs and the summary")
    parser.add_argument(
        "--work", default=os.path.join(ROOT, "exp", "gpu_check_work"), help="JSON, rooms and checkpoints (not --out)"
    )
    parser.add_argument("--only", nargs="+", default=list(BUDGET_S), choices=list(BUDGET_S))
    parser.add_argument("--pretrain-steps", type=int, default=100)
    args = parser.parse_args()
    args.work = os.path.abspath(args.work)
    args.out = os.path.abspath(args.out)
    py = sys.executable
    if args.dry_run:
        sys.exit(dry_run(args, py))
    import torch

    if not torch.cuda.is_available():
        sys.exit(
            f"gpu_check: no CUDA device is visible to {sys.executable} (torch {torch.__version__}); on a CUDA machine "
            "set PYTHON to an interpreter whose torch has CUDA (.venv holds the CPU build), or use --dry-run"
        )
    os.makedirs(args.work, exist_ok=True)
    commands = part_commands(args, py)
    results, figures = {}, {}
    for part in args.only:
        results[part] = run_part(part, commands[part], BUDGET_S[part], args.out)
        figures[part] = summarize(part, results[part], args.work)
    summary = table(results, figures)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(summary + "\n")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(dict(figures=figures, status={p: r["status"] for p, r in results.items()}), f, indent=1)
    print("\n" + summary)
    sys.exit(0 if all(r["status"] == "ok" or r["status"].startswith("skipped") for r in results.values()) else 1)


if __name__ == "__main__":
    main()
