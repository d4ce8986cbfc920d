"""Command-line and config set-up shared by tools/train.py and tools/test.py (Pointcept's engines.defaults protocol)."""

from __future__ import annotations

import argparse
import os
import random

from ..utils import comm
from ..utils.seed import set_seed
from .config import Config, DictAction


def default_argument_parser(epilog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", default="", metavar="FILE", help="path to a config file")
    parser.add_argument("--num-gpus", type=int, default=1, help="number of GPUs per machine")
    parser.add_argument("--num-machines", type=int, default=1, help="number of machines")
    parser.add_argument("--machine-rank", type=int, default=0, help="rank of this machine")
    parser.add_argument("--dist-url", default="auto", help="initialisation URL of torch.distributed")
    parser.add_argument("--options", nargs="+", action=DictAction, help="config overrides, key=value")
    return parser


def default_config_parser(file_path: str, options: dict | None) -> Config:
    """Load the config, apply overrides, fix a seed, and save the resolved config to `<save_path>/config.py`."""
    cfg = Config.fromfile(file_path)
    if options:
        cfg.merge_from_dict(options)
    if cfg.get("seed") is None:
        cfg.seed = random.randint(0, 2**31 - 1)
    if cfg.epoch % cfg.eval_epoch != 0:
        raise ValueError(f"epoch ({cfg.epoch}) must be a multiple of eval_epoch ({cfg.eval_epoch})")
    cfg.data.train.loop = cfg.epoch // cfg.eval_epoch
    os.makedirs(os.path.join(cfg.save_path, "model"), exist_ok=True)
    if not cfg.resume:
        cfg.dump(os.path.join(cfg.save_path, "config.py"))
    return cfg


def default_setup(cfg: Config) -> Config:
    """Per-process batch sizes and workers, and the seed (offset by rank)."""
    world_size = comm.get_world_size()
    num_worker = cfg.num_worker if cfg.num_worker is not None else os.cpu_count()
    if cfg.batch_size % world_size != 0:
        raise ValueError(f"batch_size ({cfg.batch_size}) must be divisible by the world size ({world_size})")
    cfg.num_worker_per_gpu = num_worker // world_size
    cfg.batch_size_per_gpu = cfg.batch_size // world_size
    cfg.batch_size_val_per_gpu = cfg.batch_size_val // world_size if cfg.get("batch_size_val") else 1
    cfg.batch_size_test_per_gpu = cfg.batch_size_test // world_size if cfg.get("batch_size_test") else 1
    set_seed(cfg.seed + comm.get_rank() * max(cfg.num_worker_per_gpu, 1))
    return cfg
