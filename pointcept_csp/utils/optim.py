"""Optimizer parameter groups built the same way under both hosts (CSPTrainer and the standalone trainer call this;
Pointcept's own `build_optimizer` would ignore the no-weight-decay flags)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

OPTIMIZERS = {"AdamW": torch.optim.AdamW, "Adam": torch.optim.Adam, "SGD": torch.optim.SGD}


def build_optimizer(cfg: Mapping, model: torch.nn.Module, param_dicts: Sequence[Mapping] | None = None):
    """Parameter groups: one default group, plus one per `param_dicts` entry (Pointcept's keys: `keyword`, and
    optionally `lr`, else the optimizer's), each split into a decayed and a no-weight-decay group.

    No weight decay: parameters flagged `_no_weight_decay` (the SSM decay rates `A_log`, `dt_bias` and Mamba2's `D`,
    which weight decay would pull towards a one-token memory) and every 1-D parameter (norm weights, biases, layer
    scales), the usual choice for transformers. Hooks that schedule weight decay leave groups at 0 at 0.
    """
    cfg = dict(cfg)
    name = cfg.pop("type")
    if name not in OPTIMIZERS:
        raise KeyError(f"optimizer type '{name}' is not supported; choose from {sorted(OPTIMIZERS)}")
    base_lr = cfg["lr"]
    specs = [dict(p) for p in (param_dicts or [])]
    for spec in specs:
        if "keyword" not in spec or set(spec) - {"keyword", "lr"}:
            raise KeyError(f"a param_dicts entry takes 'keyword' and optionally 'lr', got keys {sorted(spec)}")
    groups: dict[tuple[int, bool], dict] = {}
    for param_name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        index = next((i + 1 for i, s in enumerate(specs) if s["keyword"] in param_name), 0)
        no_decay = bool(getattr(param, "_no_weight_decay", False)) or param.dim() <= 1
        if (index, no_decay) not in groups:
            # lr_group: which param_dicts entry (0 = default) a group follows, for per-group max_lr lists
            group = {"params": [], "lr_group": index}
            if index:
                spec = specs[index - 1]
                group["lr"] = spec.get("lr", base_lr)
            if no_decay:
                group["weight_decay"] = 0.0
            groups[(index, no_decay)] = group
        groups[(index, no_decay)]["params"].append(param)
    if not groups:
        raise ValueError("the model has no trainable parameters")
    # keep group order stable: default group first, then param_dicts in order (schedulers index max_lr by group)
    ordered = [groups[key] for key in sorted(groups)]
    return OPTIMIZERS[name](ordered, **cfg)


def per_param_group(values: Sequence[float], optimizer: torch.optim.Optimizer) -> list[float]:
    """Expand per-learning-rate-group values `[default, param_dicts[0], ...]` (e.g. OneCycleLR's `max_lr` list in a
    config) to one value per optimizer group, since every learning-rate group is split by weight decay."""
    needed = 1 + max(g.get("lr_group", 0) for g in optimizer.param_groups)
    if len(values) != needed:
        raise ValueError(
            f"got {len(values)} per-group values (e.g. max_lr) but the optimizer has {needed} learning-rate groups "
            f"(the default group + {needed - 1} param_dicts)"
        )
    return [values[g.get("lr_group", 0)] for g in optimizer.param_groups]
