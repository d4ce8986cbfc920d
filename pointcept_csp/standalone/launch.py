"""Process launch for the standalone host: one process, or N processes on this machine joined by torch.distributed
(gloo on CPU, NCCL when every process gets a GPU), the same code path Pointcept's launcher runs on GPUs."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from .config import Config, import_custom


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(
    main_func: Callable,
    num_gpus_per_machine: int = 1,
    num_machines: int = 1,
    machine_rank: int = 0,
    dist_url: str | None = None,
    cfg: tuple = (),
    timeout: timedelta | None = None,
) -> None:
    """Run `main_func(*cfg)` in `num_gpus_per_machine` processes (one per GPU, or per CPU worker with gloo)."""
    if num_machines != 1 or machine_rank != 0:
        raise ValueError(
            f"the standalone host launches processes on this machine only, got num_machines={num_machines}, "
            f"machine_rank={machine_rank}; use Pointcept's launcher for several machines"
        )
    if num_gpus_per_machine < 1:
        raise ValueError(f"num_gpus must be >= 1, got {num_gpus_per_machine}")
    if num_gpus_per_machine == 1:
        main_func(*cfg)
        return
    if dist_url in (None, "auto"):
        dist_url = f"tcp://127.0.0.1:{free_port()}"
    backend = "nccl" if torch.cuda.is_available() and torch.cuda.device_count() >= num_gpus_per_machine else "gloo"
    args = (main_func, num_gpus_per_machine, dist_url, backend, cfg, timeout or timedelta(minutes=30))
    mp.spawn(_worker, nprocs=num_gpus_per_machine, args=args, daemon=False)


def _worker(rank, main_func, world_size, dist_url, backend, cfg, timeout) -> None:
    for item in cfg:  # a spawned process starts fresh: the config's plugins register here again
        if isinstance(item, Config) and item.get("custom_imports"):
            import_custom(item.custom_imports)
    dist.init_process_group(backend, init_method=dist_url, world_size=world_size, rank=rank, timeout=timeout)
    if backend == "nccl":
        torch.cuda.set_device(rank)
    try:
        main_func(*cfg)
    finally:
        dist.destroy_process_group()
