"""Optimizers and LR schedulers built from Pointcept-style config dicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

OPTIMIZERS = {"AdamW": torch.optim.AdamW, "Adam": torch.optim.Adam, "SGD": torch.optim.SGD}


def build_optimizer(cfg: Mapping, model: torch.nn.Module, param_dicts: Sequence[Mapping] | None = None):
    """Parameter groups: one default group, plus one per `param_dicts` entry (`keyword`, and `lr` or `lr_scale`).

    Parameters flagged `_no_weight_decay` (SSM decay rates `A_log`, `dt_bias`) get weight_decay 0.
    """
    cfg = dict(cfg)
    name = cfg.pop("type")
    if name not in OPTIMIZERS:
        raise KeyError(f"optimizer type '{name}' is not supported; choose from {sorted(OPTIMIZERS)}")
    base_lr = cfg["lr"]
    specs = [dict(p) for p in (param_dicts or [])]
    groups: dict[tuple[int, bool], dict] = {}
    for param_name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        index = next((i + 1 for i, s in enumerate(specs) if s["keyword"] in param_name), 0)
        no_decay = bool(getattr(param, "_no_weight_decay", False))
        if (index, no_decay) not in groups:
            # lr_group: which param_dicts entry (0 = default) a group follows, for per-group max_lr lists
            group = {"params": [], "lr_group": index}
            if index:
                spec = specs[index - 1]
                group["lr"] = spec["lr"] if "lr" in spec else base_lr * spec.get("lr_scale", 1.0)
            if no_decay:
                group["weight_decay"] = 0.0
            groups[(index, no_decay)] = group
        groups[(index, no_decay)]["params"].append(param)
    if not groups:
        raise ValueError("the model has no trainable parameters")
    # keep group order stable: default group first, then param_dicts in order (schedulers index max_lr by group)
    ordered = [groups[key] for key in sorted(groups)]
    return OPTIMIZERS[name](ordered, **cfg)


def build_scheduler(cfg: Mapping, optimizer: torch.optim.Optimizer):
    """`OneCycleLR` (cosine with linear warm-up for anneal_strategy='cos') or `CosineAnnealingLR`; needs total_steps."""
    cfg = dict(cfg)
    name = cfg.pop("type")
    total_steps = cfg.pop("total_steps")
    if name == "OneCycleLR":
        warmup = float(cfg.get("pct_start", 0.3)) * total_steps
        if abs(warmup - 1.0) < 1e-9 or total_steps - warmup < 1e-9:
            # torch's OneCycleLR divides by (warm-up steps - 1) and by the annealing steps: both must be non-zero
            raise ValueError(
                f"OneCycleLR: total_steps={total_steps} with pct_start={cfg.get('pct_start', 0.3)} "
                f"gives {warmup:g} warm-up steps, which torch cannot schedule; change pct_start"
            )
        max_lr = cfg.pop("max_lr")
        if isinstance(max_lr, (list, tuple)):
            max_lr = _per_group(max_lr, optimizer)
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total_steps, **cfg)
    if name == "CosineAnnealingLR":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps, **cfg)
    raise KeyError(f"scheduler type '{name}' is not supported; choose from ['CosineAnnealingLR', 'OneCycleLR']")


def _per_group(values: Sequence[float], optimizer: torch.optim.Optimizer) -> list[float]:
    """Expand `[lr_default, lr_param_dict_1, ...]` to one value per optimizer group."""
    needed = 1 + max(g.get("lr_group", 0) for g in optimizer.param_groups)
    if len(values) < needed:
        raise ValueError(f"max_lr has {len(values)} values but param_dicts define {needed} learning-rate groups")
    return [values[g.get("lr_group", 0)] for g in optimizer.param_groups]
