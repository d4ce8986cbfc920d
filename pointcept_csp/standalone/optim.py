"""LR schedulers built from Pointcept-style config dicts (optimizers: `pointcept_csp.utils.optim`)."""

from __future__ import annotations

from collections.abc import Mapping

import torch


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
        max_lr = cfg.pop("max_lr")  # a float, or one value per optimizer group (CSPTrainer expands param_dicts lists)
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total_steps, **cfg)
    if name == "CosineAnnealingLR":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps, **cfg)
    raise KeyError(f"scheduler type '{name}' is not supported; choose from ['CosineAnnealingLR', 'OneCycleLR']")
