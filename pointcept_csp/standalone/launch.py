"""Process launch for the standalone host: one process on one device."""

from __future__ import annotations

from collections.abc import Callable


def launch(
    main_func: Callable,
    num_gpus_per_machine: int = 1,
    num_machines: int = 1,
    machine_rank: int = 0,
    dist_url: str | None = None,
    cfg: tuple = (),
    timeout=None,
) -> None:
    """Run `main_func(*cfg)` here; more than one device needs Pointcept's launcher (install Pointcept)."""
    if num_gpus_per_machine * num_machines > 1:
        raise ValueError(
            f"the standalone host runs one process, got num_gpus={num_gpus_per_machine} x "
            f"num_machines={num_machines}; put a Pointcept checkout on PYTHONPATH for multi-GPU runs"
        )
    main_func(*cfg)
