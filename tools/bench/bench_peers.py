"""Our backbone against the real peers a user would pick, in one interleaved run: Pointcept's PTv3 (the "small"
width below, no flash attention, patch 1024) and SpUNet (SpUNetBase as Pointcept configures it), loaded from the
Pointcept checkout (`../shared/pointcept` or `POINTCEPT_ROOT`), against PointCSP-SSM at the same width, depth, heads
and MLP ratio in CSP and independent mode, and our patch-attention variant. One training step (forward, a loss on
the output features, backward) on realistic scenes (`tools/bench/scenes.py`), B = 1 / 4 / 8.

Runs in the git-ignored environment `.venv-peers/` (the peers need spconv and torch-scatter; build it once with
`sh tools/bench/setup_peers.sh`, about 6 minutes):

    .venv-peers/bin/python tools/bench/bench_peers.py                        # B = 1 4 8, both allocators, 2 rounds
    .venv-peers/bin/python tools/bench/bench_peers.py --batches 4 --rounds 1

Every case runs in a fresh subprocess with one thread (spconv's CPU build is wrong with more), cases interleaved, each
with glibc's default allocator and with `MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<large>`. The whole sequence runs
`--rounds` times and every case reports its median over rounds: on a shared machine a slow spell otherwise lands on
whichever batch size happens to run then (one single-round run measured PTv3 and ours both 12-30% slower at B = 8
only). Before timing, spconv's
CPU convolutions are checked against dense `conv3d` (forward and both gradients); its CPU backward asks for a CUDA
stream it never uses, which is answered with 0 here. Pointcept's modules are loaded without running the package
`__init__` files (they import every model and its CUDA extensions); timm, which needs torchvision, and
torch_geometric are replaced by the two small functions the peers import from them (`DropPath`, `trunc_normal_`,
`scatter`). Parameter counts are printed for every model; peak memory is the resident high-water mark above the
inputs, over all steps.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tools.bench.bench_backbone import ALLOCATORS, PRESETS  # noqa: E402
from tools.bench.memory import peak_mib, reset_peak, rss_mib  # noqa: E402

MODELS = ("ptv3", "spunet", "ours-csp", "ours-independent", "ours-patch-attention")
SMALL = PRESETS["small"]  # the shared width of PTv3 and ours: 4 stages, MLP ratio 2
ORDERS = ("z", "z-trans", "hilbert", "hilbert-trans")


def pointcept_root() -> str:
    root = os.environ.get("POINTCEPT_ROOT", os.path.join(os.path.dirname(ROOT), "shared", "pointcept"))
    if not os.path.isdir(os.path.join(root, "pointcept", "models")):
        raise FileNotFoundError(f"no Pointcept checkout at {root} (set POINTCEPT_ROOT)")
    return root


def _module(name: str, path: str | None = None, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    if path is not None:
        module.__path__ = [path]  # a package whose submodules import from disk, its __init__ not run
    module.__dict__.update(attrs)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    return module


def _stand_ins() -> None:
    """timm and torch_geometric, only where they are missing: the functions the two peers import from them."""
    import importlib.util

    import torch
    import torch_scatter

    class DropPath(torch.nn.Module):
        """Stochastic depth per sample (residual branch dropped with probability p, survivors scaled by 1 / (1-p))."""

        def __init__(self, drop_prob: float = 0.0):
            super().__init__()
            self.drop_prob = drop_prob

        def forward(self, x):
            if not self.training or self.drop_prob == 0.0:
                return x
            keep = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(1 - self.drop_prob)
            return x * keep / (1 - self.drop_prob)

    if importlib.util.find_spec("timm") is None:
        _module("timm", path="")
        _module("timm.layers", DropPath=DropPath, trunc_normal_=torch.nn.init.trunc_normal_)
    if importlib.util.find_spec("torch_geometric") is None:
        _module("torch_geometric", path="")
        _module(
            "torch_geometric.utils",
            scatter=lambda src, index, dim=0, reduce="sum": torch_scatter.scatter(src, index, dim=dim, reduce=reduce),
        )


def load_peers():
    """Pointcept's PointTransformerV3 and SpUNetBase classes, with spconv made to run its CPU backward."""
    import spconv.pytorch.ops as spconv_ops
    import torch

    if not torch.cuda.is_available():
        spconv_ops.get_current_stream = lambda: 0  # only passed on to CUDA kernels; the CPU path ignores it
    _stand_ins()
    root = pointcept_root()
    for name in (
        "pointcept",
        "pointcept.utils",
        "pointcept.engines",
        "pointcept.engines.hooks",
        "pointcept.models",
        "pointcept.models.point_prompt_training",
        "pointcept.models.point_transformer_v3",
        "pointcept.models.sparse_unet",
    ):
        _module(name, path=os.path.join(root, *name.split(".")))
    from pointcept.engines.hooks import default as hooks_default

    sys.modules["pointcept.engines.hooks"].HookBase = hooks_default.HookBase
    from pointcept.models.point_prompt_training import prompt_driven_normalization

    sys.modules["pointcept.models.point_prompt_training"].PDNorm = prompt_driven_normalization.PDNorm
    from pointcept.models.point_transformer_v3.point_transformer_v3m1_base import PointTransformerV3
    from pointcept.models.sparse_unet.spconv_unet_v1m1_base import SpUNetBase

    return PointTransformerV3, SpUNetBase


def check_spconv() -> dict:
    """spconv's CPU SubMConv3d and strided SparseConv3d against dense conv3d: forward, input and weight gradients."""
    import spconv.pytorch as spconv
    import torch
    import torch.nn.functional as F

    load_peers()
    torch.manual_seed(0)
    size = 12
    coords = torch.unique(torch.randint(0, size, (600, 3)), dim=0)
    index = torch.cat([torch.zeros(len(coords), 1, dtype=torch.int32), coords.int()], 1)
    errors = {}
    for name, conv, stride in (
        ("subm", spconv.SubMConv3d(8, 16, 3, indice_key="a", bias=False), 1),
        ("strided", spconv.SparseConv3d(8, 16, 2, stride=2, indice_key="b", bias=False), 2),
    ):
        feat = torch.randn(len(coords), 8, requires_grad=True)
        out = conv(spconv.SparseConvTensor(feat, index, [size] * 3, 1))
        grad = torch.randn_like(out.features)
        (out.features * grad).sum().backward()
        dense_feat, weight = feat.detach().clone().requires_grad_(), conv.weight.detach().clone().requires_grad_()
        grid = torch.zeros(size, size, size, 8).index_put(tuple(coords.long().T), dense_feat)
        dense = F.conv3d(
            grid.permute(3, 0, 1, 2)[None],
            weight.permute(0, 4, 1, 2, 3),
            padding=1 if stride == 1 else 0,
            stride=stride,
        )[0].permute(1, 2, 3, 0)
        at = out.indices.long()[:, 1:]
        expected = dense[at[:, 0], at[:, 1], at[:, 2]]
        (expected * grad).sum().backward()
        errors[name] = max(
            (expected - out.features).abs().max().item(),
            (dense_feat.grad - feat.grad).abs().max().item(),
            (weight.grad - conv.weight.grad).abs().max().item() / max(weight.grad.abs().max().item(), 1e-12),
        )
    return errors


OURS = {
    "ours-csp": ("gated_delta", "csp"),
    "ours-independent": ("gated_delta", "independent"),
    "ours-patch-attention": ("patch_attention", "independent"),
}


def build(model: str):
    if model in OURS:
        from tools.bench.bench_backbone import build_backbone

        return build_backbone("small", *OURS[model])
    PointTransformerV3, SpUNetBase = load_peers()
    if model == "ptv3":
        return PointTransformerV3(
            in_channels=6,
            order=ORDERS,
            enc_patch_size=(1024,) * 4,
            dec_patch_size=(1024,) * 3,
            enable_flash=False,
            **SMALL,
        ).train()
    if model == "spunet":
        return SpUNetBase(in_channels=6, num_classes=0).train()
    raise ValueError(f"model must be one of {MODELS}, got {model!r}")


def output_features(model: str, out):
    return out if model == "spunet" else out["feat"]


def worker(model_name: str, batch: int, points: int, repeats: int) -> dict:
    import torch

    from tools.bench.scenes import room_batch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = room_batch(batch, points, grid_size=0.02, first_seed=100)
    data["grid_size"] = 0.02
    model = build(model_name)
    times = []
    reset_peak()
    base = rss_mib()
    for i in range(repeats + 1):  # the first step is a warm-up, untimed
        tic = time.perf_counter()
        inputs = dict(data)  # the peers write into their input dict
        output_features(model_name, model(inputs)).pow(2).mean().backward()
        model.zero_grad(set_to_none=True)
        if i:
            times.append(time.perf_counter() - tic)
    return dict(
        step_s=statistics.median(times),
        peak_mib=max(peak_mib() - base, 0.0),
        tokens=int(data["offset"][-1]),
        params_m=sum(p.numel() for p in model.parameters()) / 1e6,
    )


def run_case(args: list[str], extra_env: dict) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT, **extra_env)
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{args}: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def over_rounds(rows: list[dict]) -> list[dict]:
    """One row per (allocator, batch, model): the median step over rounds, the highest peak."""
    cases: dict[tuple, list[dict]] = {}
    for r in rows:
        cases.setdefault((r["allocator"], r["batch"], r["model"]), []).append(r)
    return [
        dict(
            runs[0],
            step_s=statistics.median(r["step_s"] for r in runs),
            step_s_rounds=[r["step_s"] for r in runs],
            peak_mib=max(r["peak_mib"] for r in runs),
        )
        for runs in cases.values()
    ]


def print_summary(rows: list[dict], batches: list[int]) -> None:
    print("\n| allocator | B | model | params (M) | step (s) | peak (MiB) | step / PTv3 | peak / PTv3 |")
    print("|---|---|---|---|---|---|---|---|")
    for allocator in ALLOCATORS:
        for batch in batches:
            case = {r["model"]: r for r in rows if (r["allocator"], r["batch"]) == (allocator, batch)}
            ptv3 = case.get("ptv3")
            for model in MODELS:
                if model not in case:
                    continue
                r = case[model]
                ratio = f"{r['step_s'] / ptv3['step_s']:.2f}" if ptv3 else "-"
                mem = f"{r['peak_mib'] / max(ptv3['peak_mib'], 1e-9):.2f}" if ptv3 else "-"
                print(
                    f"| {allocator} | {batch} | {model} | {r['params_m']:.2f} | {r['step_s']:.3f} | "
                    f"{r['peak_mib']:.0f} | {ratio} | {mem} |"
                )
    print("\nours, CSP / independent and B = 1 -> 8 scaling:")
    for allocator in ALLOCATORS:
        ours = {(r["batch"], r["model"]): r for r in rows if r["allocator"] == allocator}
        for batch in batches:
            csp, ind = ours.get((batch, "ours-csp")), ours.get((batch, "ours-independent"))
            if csp and ind:
                print(f"  {allocator:8s} B={batch}: CSP / independent {csp['step_s'] / ind['step_s']:.3f}")
        lo, hi = ours.get((min(batches), "ours-csp")), ours.get((max(batches), "ours-csp"))
        if lo and hi and lo is not hi:
            linear = (hi["step_s"] / lo["step_s"]) / (hi["tokens"] / lo["tokens"])
            print(
                f"  {allocator:8s} CSP B={min(batches)} -> {max(batches)}: tokens x{hi['tokens'] / lo['tokens']:.1f}, "
                f"time x{hi['step_s'] / lo['step_s']:.2f} ({linear:.2f} of linear)"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--check-spconv", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 4, 8])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--points", type=int, default=8192, help="points per scene after GridSample + SphereCrop")
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per case (their median), after a warm-up")
    parser.add_argument("--rounds", type=int, default=2, help="times the whole interleaved sequence runs (median)")
    parser.add_argument("--json", default=os.path.join(ROOT, "exp", "bench", "peers.json"))
    args = parser.parse_args()
    if args.check_spconv:
        print(json.dumps(check_spconv()))
        return
    if args.worker:
        model, batch, points, repeats = args.worker
        print(json.dumps(worker(model, int(batch), int(points), int(repeats))))
        return
    errors = run_case(["--check-spconv"], {})
    print(f"spconv CPU (1 thread) vs dense conv3d, max error: {errors}")
    if max(errors.values()) > 1e-4:
        raise SystemExit("spconv's CPU convolution disagrees with the dense reference; the peers cannot be timed")
    rows = []
    for round_ in range(args.rounds):  # the whole interleaved sequence again: a slow spell of the machine hits one
        for batch in args.batches:  # round's cases, not one model or batch size throughout
            for allocator, extra in ALLOCATORS.items():
                for model in args.models:
                    row = dict(allocator=allocator, batch=batch, model=model, round=round_)
                    row.update(run_case(["--worker", model, str(batch), str(args.points), str(args.repeats)], extra))
                    rows.append(row)
                    print(
                        f"round {round_} {allocator:8s} B={batch} {model:21s} {row['params_m']:5.2f}M "
                        f"tokens {row['tokens']:6d} step {row['step_s']:7.3f}s peak {row['peak_mib']:7.0f} MiB",
                        flush=True,
                    )
    print_summary(over_rounds(rows), args.batches)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(rows, f, indent=1)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
