"""Memory of one pre-training step of the paper's config on CPU: `configs/scannet/pretrain-pointcsp-v1m1-0-base.py`
on the two real `scannet-mini` scans (batch 2, the config's own views and transforms), fp32, one thread.

Each case runs in a fresh subprocess and reports: peak resident memory above the model and batch in the forward
(student and teacher) and in the backward with the optimizer step (AdamW, whose moments are allocated in the first
step); the tokens per view set; the bytes autograd saves for backward per component of the student (embedding, each
encoder / decoder stage, pooling, heads; the global and local views summed; a storage shared by several saved
tensors counted once). `--variant NAME KEY=VALUE ...` overrides config keys, so variants are measured side by side,
each with glibc's default allocator, with `MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<large>` (no-trim, the "keep"
policy) and with `MALLOC_MMAP_THRESHOLD_=131072` (the "lean" policy the config selects):

    python tools/bench/bench_pretrain_memory.py
    python tools/bench/bench_pretrain_memory.py --variant stored model.backbone.recompute=none \
        model.recompute_heads=False
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tools.bench.memory import peak_mib, reset_peak, rss_mib  # noqa: E402

CONFIG = "configs/scannet/pretrain-pointcsp-v1m1-0-base.py"
SCANNET_MINI = os.path.join(os.path.dirname(ROOT), "shared", "data", "scannet-mini")
ALLOCATORS = {  # utils/allocator.py's policies, as environment variables: default, keep (no-trim), lean
    "default": {},
    "no-trim": {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 40)},
    "lean": {"MALLOC_MMAP_THRESHOLD_": str(128 * 1024)},
}


class SavedBytes:
    """Bytes autograd saves for backward, attributed to the innermost tracked module running when they are saved."""

    def __init__(self, model, prefixes: tuple[str, ...]) -> None:
        import torch

        self.totals: dict[str, int] = {}
        self.stack: list[str] = []
        self.seen: set[int] = set()
        self.handles = []
        for name, module in model.named_modules():
            if name.startswith(prefixes) and name.count(".") <= 2:
                self.handles.append(module.register_forward_pre_hook(self.enter(name)))
                self.handles.append(module.register_forward_hook(self.leave))
        self.hooks = torch.autograd.graph.saved_tensors_hooks(self.pack, lambda x: x)

    def enter(self, name: str):
        def hook(module, args) -> None:
            self.stack.append(name)

        return hook

    def leave(self, module, args, output) -> None:
        self.stack.pop()

    def pack(self, tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in self.seen:
            self.seen.add(storage.data_ptr())
            label = self.stack[-1] if self.stack else "(outside the backbone: heads, losses)"
            self.totals[label] = self.totals.get(label, 0) + storage.nbytes()
        return tensor


def worker(options: list[str]) -> dict:
    import random

    import numpy as np
    import torch

    from pointcept_csp import host
    from pointcept_csp.utils.options import parse_options

    torch.set_num_threads(1)
    torch.manual_seed(0)
    np.random.seed(0)  # the crops and augmentations (numpy) are the same in every case
    random.seed(0)
    overrides = {"data.train.data_root": SCANNET_MINI, "data.train.split": ("train", "val")}
    overrides.update(parse_options(options))
    cfg = host.load_config(os.path.join(ROOT, CONFIG), overrides)
    dataset = host.build_dataset(cfg.data.train)
    if len(dataset) != 2:
        raise RuntimeError(f"expected the 2 scannet-mini scans in {SCANNET_MINI}, found {len(dataset)}")
    batch = host.point_collate_fn([dataset[0], dataset[1]])
    model = host.build_model(cfg.model).train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    tracker = SavedBytes(model, ("backbone.embedding", "backbone.enc", "backbone.down", "backbone.up", "backbone.dec"))
    base = rss_mib()
    reset_peak()
    tic = time.perf_counter()
    with tracker.hooks:
        loss = model(batch)["loss"]
    forward_s = time.perf_counter() - tic
    forward_peak, after_forward = peak_mib() - base, rss_mib() - base
    reset_peak()
    tic = time.perf_counter()
    loss.backward()
    optimizer.step()  # AdamW's two moments are allocated here, as in the trainer's first step
    backward_s = time.perf_counter() - tic
    backward_peak = peak_mib() - base
    return dict(
        forward_peak_mib=forward_peak,
        after_forward_mib=after_forward,
        backward_peak_mib=backward_peak,
        peak_mib=max(forward_peak, backward_peak),
        base_mib=base,
        forward_s=forward_s,
        backward_s=backward_s,
        tokens=dict(
            glob=int(batch["global_offset"][-1]),
            local=int(batch["local_offset"][-1]),
        ),
        saved_mib={k: v / 2**20 for k, v in sorted(tracker.totals.items(), key=lambda kv: -kv[1])},
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument(
        "--variant",
        nargs="+",
        action="append",
        metavar=("NAME", "KEY=VALUE"),
        help="a named set of config overrides (repeatable); the config as it is always runs first",
    )
    parser.add_argument("--allocators", nargs="+", default=list(ALLOCATORS), choices=list(ALLOCATORS))
    parser.add_argument("--json", default=os.path.join(ROOT, "exp", "bench", "pretrain_memory.json"))
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker)))
        return
    if not os.path.isdir(SCANNET_MINI):
        raise SystemExit(f"the scannet-mini scans are not at {SCANNET_MINI}")
    variants = [("config", [])] + [(v[0], v[1:]) for v in args.variant or []]
    rows = []
    for name, options in variants:
        for allocator in args.allocators:
            env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT, **ALLOCATORS[allocator])
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", *options]
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                row = dict(variant=name, allocator=allocator, error=f"exit {proc.returncode}: {proc.stderr[-500:]}")
                print(f"{name} {allocator}: FAILED {row['error']}", flush=True)
            else:
                row = dict(variant=name, allocator=allocator, **json.loads(proc.stdout.strip().splitlines()[-1]))
                print(
                    f"{name} {allocator}: peak {row['peak_mib']:.0f} MiB (forward {row['forward_peak_mib']:.0f}, "
                    f"backward {row['backward_peak_mib']:.0f}, held after forward {row['after_forward_mib']:.0f}) "
                    f"above {row['base_mib']:.0f} MiB of model + batch; step {row['forward_s'] + row['backward_s']:.0f}"
                    f" s; tokens {row['tokens']}",
                    flush=True,
                )
                for component, mib in row["saved_mib"].items():
                    print(f"    saved for backward  {component:40s} {mib:8.1f} MiB")
            rows.append(row)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
