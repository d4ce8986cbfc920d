"""The standalone training loop: Pointcept's Trainer protocol (hooks, comm_info, storage), in one process or in each
process of a torch.distributed group (tools/train.sh -g N)."""

from __future__ import annotations

import os
from functools import partial

import torch
from tensorboardX import SummaryWriter
from torch.utils.data.distributed import DistributedSampler

from ..utils import comm
from ..utils.device import default_device
from ..utils.logger import get_root_logger
from ..utils.seed import seed_worker
from .builder import DATASETS, HOOKS
from .collate import collate_fn, point_collate_fn
from .hooks import HookBase
from .optim import build_scheduler
from .storage import EventStorage


class TrainerBase:
    """The hook loop: before_train, then per epoch before_epoch / (before_step, run_step, after_step)* / after_epoch."""

    def __init__(self) -> None:
        self.hooks: list[HookBase] = []
        self.epoch = self.start_epoch = self.max_epoch = 0
        self.comm_info: dict = {}
        self.storage = EventStorage()

    def register_hooks(self, hook_cfgs) -> None:
        for cfg in hook_cfgs:
            hook = HOOKS.build(cfg)
            if not isinstance(hook, HookBase):
                raise TypeError(f"hook {cfg['type']} must derive from HookBase, got {type(hook).__name__}")
            hook.trainer = self
            self.hooks.append(hook)

    def call_hooks(self, stage: str) -> None:
        for hook in self.hooks:
            getattr(hook, stage)()

    def train(self) -> None:
        self.call_hooks("before_train")
        for epoch in range(self.start_epoch, self.max_epoch):
            self.epoch = epoch
            self.model.train()
            self.data_iterator = enumerate(self.epoch_loader())
            self.call_hooks("before_epoch")
            for step, batch in self.data_iterator:
                self.comm_info["iter"], self.comm_info["input_dict"] = step, batch
                self.call_hooks("before_step")
                self.run_step()
                self.call_hooks("after_step")
            self.call_hooks("after_epoch")
            self.storage.reset_histories()
        self.after_train()

    def after_train(self) -> None:
        self.call_hooks("after_train")

    def epoch_loader(self):
        return self.train_loader

    def run_step(self) -> None:
        raise NotImplementedError


class Trainer(TrainerBase):
    """Builds loaders, scheduler and hooks from `cfg` and runs on `cfg.device` ("auto": CUDA if any), in the order
    Pointcept's Trainer does. The model, optimizer, grad scaler and training step are CSPTrainer's
    (`engines/trainer.py`, the trainer every config selects), as they are under Pointcept."""

    def __init__(self, cfg) -> None:
        super().__init__()
        self.cfg = cfg
        self.max_epoch = cfg.eval_epoch
        self.best_metric_value = -float("inf")
        self.logger = get_root_logger(os.path.join(cfg.save_path, "train.log"), file_mode="a" if cfg.resume else "w")
        self.logger.info(f"Save path: {cfg.save_path}")
        self.logger.info(f"Config:\n{cfg.pretty_text}")
        self.device = default_device(cfg.get("device", "auto"))
        self.model = self.build_model()
        self.writer = SummaryWriter(cfg.save_path) if comm.is_main_process() else None
        self.train_loader = self.build_train_loader()
        self.val_loader = self.build_val_loader()
        self.optimizer = self.build_optimizer()
        self.scheduler = self.build_scheduler()
        self.scaler = self.build_scaler()
        self.register_hooks(cfg.hooks)

    def build_train_loader(self):
        dataset = DATASETS.build(self.cfg.data.train)
        # one global order per (seed, epoch), sliced by rank: resume replays it, and 2 processes x B/2 see the same
        # samples per step as 1 process x B
        sampler = DistributedSampler(
            dataset, num_replicas=comm.get_world_size(), rank=comm.get_rank(), shuffle=True, seed=self.cfg.seed
        )
        return torch.utils.data.DataLoader(
            dataset,
            batch_size=self.cfg.batch_size_per_gpu,
            sampler=sampler,
            num_workers=self.cfg.num_worker_per_gpu,
            worker_init_fn=seed_worker,
            collate_fn=partial(point_collate_fn, mix_prob=self.cfg.mix_prob),
            drop_last=len(sampler) > self.cfg.batch_size_per_gpu,
        )

    def epoch_loader(self):
        self.train_loader.sampler.set_epoch(self.epoch)
        return self.train_loader

    def build_val_loader(self):
        if not self.cfg.evaluate:
            return None
        dataset = DATASETS.build(self.cfg.data.val)
        sampler = None
        if comm.get_world_size() > 1:  # each rank scores its share; the evaluators sum the counts over ranks
            sampler = DistributedSampler(dataset, comm.get_world_size(), comm.get_rank(), shuffle=False)
        return torch.utils.data.DataLoader(
            dataset,
            batch_size=self.cfg.batch_size_val_per_gpu,
            sampler=sampler,
            shuffle=False,
            num_workers=self.cfg.num_worker_per_gpu,
            collate_fn=collate_fn,
        )

    def build_scheduler(self):
        steps = len(self.train_loader) * self.cfg.eval_epoch // self.cfg.get("gradient_accumulation_steps", 1)
        self.cfg.scheduler.total_steps = max(steps, 1)
        return build_scheduler(self.cfg.scheduler, self.optimizer)

    def after_train(self) -> None:
        super().after_train()
        if self.writer is not None:
            self.writer.close()
