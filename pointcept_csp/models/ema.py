"""Teacher updates and schedules as pure functions (no trainer access): the EMA step and cosine / warm-up ramps."""

from __future__ import annotations

import math

import torch


@torch.no_grad()
def ema_update_(teacher: torch.nn.Module, student: torch.nn.Module, momentum: float) -> bool:
    """teacher <- momentum * teacher + (1 - momentum) * student, in place; floating buffers are copied.

    Returns False and leaves the teacher untouched when any student parameter is non-finite.
    """
    t_params = [p for p in teacher.parameters()]
    s_params = [p.detach() for p in student.parameters()]
    if len(t_params) != len(s_params):
        raise ValueError(f"teacher has {len(t_params)} parameters, student {len(s_params)}: they must match")
    norms = torch._foreach_norm(s_params)
    if not bool(torch.isfinite(torch.stack(norms)).all()):
        return False
    torch._foreach_mul_(t_params, momentum)
    torch._foreach_add_(t_params, s_params, alpha=1.0 - momentum)
    for t_buf, s_buf in zip(teacher.buffers(), student.buffers()):
        if t_buf.dtype.is_floating_point:
            t_buf.copy_(s_buf)
    return True


def cosine_ramp(start: float, end: float, progress: float) -> float:
    """start -> end along a half cosine as progress goes 0 -> 1 (EMA momentum 0.994 -> 1)."""
    progress = min(max(progress, 0.0), 1.0)
    return end - (end - start) * (math.cos(math.pi * progress) + 1) / 2


def ema_momentum(cfg: dict, step: int, total_steps: int) -> float:
    """EMA momentum at `step`: cosine `base -> final` over the run. `base` is given, or derived from `horizon`, the
    EMA's time constant as a fraction of the run: base = 1 - 1 / (horizon * total_steps), so a short run gets a
    teacher that moves (0.996 barely moves in 48 steps: the teacher keeps 83% of its start)."""
    unknown = set(cfg) - {"base", "final", "horizon"}
    if unknown or ("base" in cfg) == ("horizon" in cfg):
        raise ValueError(f"momentum takes 'final' and exactly one of 'base' / 'horizon', got keys {sorted(cfg)}")
    if "horizon" in cfg:
        if not cfg["horizon"] > 0:
            raise ValueError(f"momentum horizon must be > 0 (a fraction of the run), got {cfg['horizon']}")
        base = 1.0 - 1.0 / max(cfg["horizon"] * total_steps, 1.0)
    else:
        base = cfg["base"]
    return cosine_ramp(base, cfg.get("final", 1.0), step / max(total_steps, 1))


def with_default_base(momentum: dict | None, base: float) -> dict:
    """A momentum config with `final` = 1 and `base` filled in unless the user gave `base` or `horizon`."""
    cfg = dict(momentum or {})
    if "base" not in cfg and "horizon" not in cfg:
        cfg["base"] = base
    cfg.setdefault("final", 1.0)
    return cfg


def warmup_constant(start: float, base: float, warmup_ratio: float, progress: float) -> float:
    """Linear start -> base over the first `warmup_ratio` of training, then base (teacher temperature)."""
    if warmup_ratio <= 0 or progress >= warmup_ratio:
        return base
    return start + (base - start) * progress / warmup_ratio
