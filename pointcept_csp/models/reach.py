"""CSP reach: how far the SSM state carries one sample into the next, and how much a sample's features feel it.

PointCSP's claim is that the recurrent state, read across the packed batch F' = [f_11..f_1L, f_21..f_BL], carries
what it read in one scene into the next. `measure_reach` runs a backbone (eval mode, deterministic orders) on two
batches that differ only in the sample BEFORE a target sample, `[prev, target]` and `[other, target]`, and reports
per block:

- `tokens`: tokens per sample at the block's level;
- `memory`: per head, the tokens for the decay to fall by e, 1 / mean_t(-log a_t), on this batch;
- `survival`: per head, the share of the incoming state left after one target sample, exp(sum_t log a_t) (the
  decay alone; delta-rule overwrites remove more);
- `changed`: the share of the target's tokens whose mixer output moves by more than 1% (relative, per token);
- `share_cpe`, `share_mixer`, `share_mlp`: the norm of each residual branch over the norm of the block's input;

and per encoder stage and for the output, the relative change of the target's features. In independent mode
(`cross_sample=False`) `changed` and every feature change are exactly 0.
"""

from __future__ import annotations

import torch
import torch.nn as nn

CHANGE_THRESHOLD = 0.01  # a token "feels" the previous sample when its mixer output moves by more than 1%


def _blocks(backbone: nn.Module) -> list[tuple[str, int, nn.Module]]:
    """(name, level, block) of every block, encoder then decoder; decoder stage i works at level stages - 2 - i."""
    out = []
    for s, stage in enumerate(backbone.enc):
        out += [(f"enc{s}.{i}", s, block) for i, block in enumerate(stage.blocks)]
    for i, stage in enumerate(getattr(backbone, "dec", [])):
        level = len(backbone.enc) - 2 - i
        out += [(f"dec{level}.{j}", level, block) for j, block in enumerate(stage.blocks)]
    return out


class _Recorder:
    """Forward hooks on every block: the block input (residual stream), the CPE, mixer and MLP branch outputs, and the
    mixer's per-token log decay (SSM mixers expose `log_decay`)."""

    def __init__(self, backbone: nn.Module) -> None:
        self.records: dict[str, dict[str, torch.Tensor]] = {}
        self.handles = []
        for name, _, block in _blocks(backbone):
            rec = self.records.setdefault(name, {})
            self.handles.append(block.register_forward_pre_hook(self._save_input(rec, "stream")))
            self.handles.append(block.mixer.register_forward_pre_hook(self._save_decay(rec, block.mixer)))
            self.handles.append(block.mixer.register_forward_hook(self._save_output(rec, "mixer")))
            # the branches as added to the stream: after their layer scale (the identity without one)
            self.handles.append(block.ls_mixer.register_forward_hook(self._save_output(rec, "mixer_branch")))
            self.handles.append(block.ls_mlp.register_forward_hook(self._save_output(rec, "mlp")))
            if block.cpe is not None:
                self.handles.append(block.ls_cpe.register_forward_hook(self._save_output(rec, "cpe")))

    @staticmethod
    def _save_input(rec, key):
        def hook(module, args):
            rec[key] = args[0].detach()

        return hook

    @staticmethod
    def _save_output(rec, key):
        def hook(module, args, output):
            rec[key] = output.detach()

        return hook

    @staticmethod
    def _save_decay(rec, mixer):
        def hook(module, args):
            if hasattr(mixer, "log_decay"):
                rec["log_decay"] = mixer.log_decay(args[0]).detach()  # [T, H], serialized order

        return hook

    def take(self) -> dict[str, dict[str, torch.Tensor]]:
        out = {name: dict(rec) for name, rec in self.records.items()}
        for rec in self.records.values():
            rec.clear()
        return out

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def pack(samples: list[dict]) -> dict:
    """Pointcept's packed batch of `coord`, `grid_coord`, `feat` samples."""
    batch = {k: torch.cat([s[k] for s in samples]) for k in ("coord", "grid_coord", "feat")}
    batch["offset"] = torch.tensor([len(s["coord"]) for s in samples], device=batch["coord"].device).cumsum(0)
    return batch


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).norm() / b.norm().clamp_min(1e-30)).item()


@torch.no_grad()
def measure_pair(backbone: nn.Module, prev: dict, other: dict, target: dict, cross_sample: bool) -> dict:
    """Reach figures for one target sample: `[prev, target]` vs `[other, target]` (see the module docstring)."""
    recorder = _Recorder(backbone)
    try:
        out_a = backbone(pack([prev, target]), cross_sample=cross_sample)
        rec_a = recorder.take()
        out_b = backbone(pack([other, target]), cross_sample=cross_sample)
        rec_b = recorder.take()
    finally:
        recorder.remove()
    n_target = [int(st["offset"][-1] - st["offset"][-2]) for st in out_a["stages"]]
    tokens = [float(st["offset"][-1]) / 2 for st in out_a["stages"]]
    blocks = {}
    for name, level, _ in _blocks(backbone):
        a, b, n = rec_a[name], rec_b[name], n_target[level]
        # the target is the last sample, so its tokens are the last n of the serialized (and of the level) order
        ya, yb = a["mixer"][-n:], b["mixer"][-n:]
        moved = (ya - yb).norm(dim=1) / ya.norm(dim=1).clamp_min(1e-30)
        stream = a["stream"].norm().clamp_min(1e-30)
        row = dict(
            level=level,
            tokens=tokens[level],
            changed=(moved > CHANGE_THRESHOLD).float().mean().item(),
            share_mixer=(a["mixer_branch"].norm() / stream).item(),
            share_mlp=(a["mlp"].norm() / stream).item(),
            share_cpe=(a["cpe"].norm() / stream).item() if "cpe" in a else 0.0,
        )
        if "log_decay" in a:
            log_decay = a["log_decay"].double()  # [T, H]
            row["memory"] = (1.0 / (-log_decay.mean(0)).clamp_min(1e-30)).tolist()
            row["survival"] = log_decay[-n:].sum(0).exp().tolist()
        blocks[name] = row
    stages = [
        _relative(sa["feat"][-n:], sb["feat"][-n:]) for sa, sb, n in zip(out_a["stages"], out_b["stages"], n_target)
    ]
    n_points = len(target["coord"])
    return dict(blocks=blocks, stages=stages, output=_relative(out_b["feat"][-n_points:], out_a["feat"][-n_points:]))


def measure_reach(backbone: nn.Module, samples: list[dict], cross_sample: bool = True) -> dict:
    """Average of `measure_pair` over the targets samples[i], previous sample samples[i+1], replaced by
    samples[i+2] (cyclically); at least 3 samples. The backbone runs in eval mode (curve orders, no drop path)."""
    if len(samples) < 3:
        raise ValueError(f"measure_reach needs at least 3 samples (target, previous, replacement), got {len(samples)}")
    was_training = backbone.training
    backbone.eval()
    try:
        pairs = [
            measure_pair(backbone, samples[(i + 1) % len(samples)], samples[(i + 2) % len(samples)], s, cross_sample)
            for i, s in enumerate(samples)
        ]
    finally:
        backbone.train(was_training)
    blocks = {}
    for name, first in pairs[0]["blocks"].items():
        rows = [p["blocks"][name] for p in pairs]
        merged = {k: sum(r[k] for r in rows) / len(rows) for k in first if not isinstance(first[k], list)}
        for key in ("memory", "survival"):
            if key in first:
                merged[key] = [sum(r[key][h] for r in rows) / len(rows) for h in range(len(first[key]))]
        merged["level"] = first["level"]
        blocks[name] = merged
    return dict(
        cross_sample=cross_sample,
        samples=len(samples),
        blocks=blocks,
        stages=[sum(p["stages"][s] for p in pairs) / len(pairs) for s in range(len(pairs[0]["stages"]))],
        output=sum(p["output"] for p in pairs) / len(pairs),
    )


def stage_summary(report: dict) -> list[dict]:
    """Per level: the lowest `changed` share over its blocks (the claim must hold at every block) and the longest
    head memory, with the stage's feature change."""
    levels = sorted({b["level"] for b in report["blocks"].values()})
    out = []
    for level in levels:
        rows = [b for b in report["blocks"].values() if b["level"] == level]
        memory = [m for b in rows for m in b.get("memory", [])]
        out.append(
            dict(
                level=level,
                tokens=rows[0]["tokens"],
                min_changed=min(b["changed"] for b in rows),
                max_memory=max(memory) if memory else 0.0,
                feature_change=report["stages"][level],
            )
        )
    return out


def reach_table(report: dict) -> str:
    """Markdown: one row per block, then the per-stage and output feature changes."""
    mode = "CSP" if report["cross_sample"] else "independent"
    lines = [
        f"CSP reach ({mode} mode, {report['samples']} targets; 'changed': share of a sample's tokens whose mixer "
        f"output moves > {CHANGE_THRESHOLD:.0%} when the previous sample is replaced)",
        "",
        "| block | tokens/sample | head memory (tokens) min / median / max | survival of one sample (max head) "
        "| changed | CPE / mixer / MLP share |",
        "|---|---|---|---|---|---|",
    ]
    for name, b in report["blocks"].items():
        memory, survival = sorted(b.get("memory", [])), b.get("survival", [])
        mem = f"{memory[0]:.3g} / {memory[len(memory) // 2]:.3g} / {memory[-1]:.3g}" if memory else "-"
        surv = f"{max(survival):.3g}" if survival else "-"
        shares = f"{b['share_cpe']:.3f} / {b['share_mixer']:.3f} / {b['share_mlp']:.3f}"
        lines.append(f"| {name} | {b['tokens']:.0f} | {mem} | {surv} | {b['changed']:.1%} | {shares} |")
    stages = ", ".join(f"stage {s}: {c:.2e}" for s, c in enumerate(report["stages"]))
    lines += ["", f"relative feature change of the target sample: {stages}; output: {report['output']:.2e}"]
    return "\n".join(lines)


def headline(report: dict) -> str:
    """One line for logs: per stage the lowest changed share, and the output feature change."""
    parts = [f"stage {s['level']} {s['min_changed']:.0%}" for s in stage_summary(report)]
    return (
        f"tokens changed > {CHANGE_THRESHOLD:.0%} by the previous sample (lowest block per stage): "
        + ", ".join(parts)
        + f"; output features change {report['output']:.2e} (relative)"
    )
