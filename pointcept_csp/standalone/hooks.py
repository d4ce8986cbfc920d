"""Training hooks of the standalone engine, under Pointcept's names and with Pointcept's call order."""

from __future__ import annotations

import os
import shutil
import time

import torch

from ..utils import comm
from ..utils.checkpoint import atomic_save, load_checkpoint, model_state
from ..utils.seed import get_rng_state, set_rng_state
from .builder import HOOKS


class HookBase:
    """Called by the trainer at before_train / before_epoch / before_step / after_step / after_epoch / after_train."""

    trainer = None

    def before_train(self): ...

    def before_epoch(self): ...

    def before_step(self): ...

    def after_step(self): ...

    def after_epoch(self): ...

    def after_train(self): ...


@HOOKS.register_module()
class IterationTimer(HookBase):
    """Times data loading and steps; appends `Data/Batch/Remain` (ETA) to the iteration log line."""

    def __init__(self, warmup_iter: int = 1):
        self.warmup_iter = warmup_iter

    def before_train(self):
        self.remain_iter = (self.trainer.max_epoch - self.trainer.start_epoch) * len(self.trainer.train_loader)
        self.tic = time.perf_counter()

    def before_epoch(self):
        self.tic = time.perf_counter()

    def before_step(self):
        self.trainer.storage.put_scalar("data_time", time.perf_counter() - self.tic)

    def after_step(self):
        storage = self.trainer.storage
        storage.put_scalar("batch_time", time.perf_counter() - self.tic)
        self.tic = time.perf_counter()
        self.remain_iter -= 1
        data_time, batch_time = storage.history("data_time").val, storage.history("batch_time")
        per_iter = batch_time.avg
        minutes, seconds = divmod(int(self.remain_iter * per_iter), 60)
        hours, minutes = divmod(minutes, 60)
        self.trainer.comm_info["iter_info"] += (
            f"Data {data_time:.3f} Batch {batch_time.val:.3f} Remain {hours:02d}:{minutes:02d}:{seconds:02d} "
        )
        if self.trainer.comm_info["iter"] < self.warmup_iter:
            # the first iterations pay for allocation and caching: keep them out of the averages (and the ETA)
            storage.history("data_time").reset()
            batch_time.reset()


@HOOKS.register_module()
class InformationWriter(HookBase):
    """Logs every scalar of the model's output dict (and the LR) per iteration, to the log and TensorBoard."""

    def before_train(self):
        self.trainer.comm_info["iter_info"] = ""
        self.curr_iter = self.trainer.start_epoch * len(self.trainer.train_loader)
        self.keys: list[str] = []

    def before_step(self):
        self.curr_iter += 1
        t = self.trainer
        t.comm_info["iter_info"] += (
            f"Train: [{t.epoch + 1}/{t.max_epoch}][{t.comm_info['iter'] + 1}/{len(t.train_loader)}] "
        )

    def after_step(self):
        t = self.trainer
        output = t.comm_info.get("model_output_dict", {})
        self.keys = [k for k, v in output.items() if torch.is_tensor(v) and v.numel() == 1]
        for key in self.keys:
            t.storage.put_scalar(key, output[key].item())
        info = " ".join(f"{key}: {t.storage.history(key).val:.4f}" for key in self.keys)
        lr = t.optimizer.param_groups[0]["lr"]
        t.logger.info(f"{t.comm_info['iter_info']}{info} Lr: {lr:.4g}")
        t.comm_info["iter_info"] = ""
        if t.writer is not None:
            t.writer.add_scalar("params/lr", lr, self.curr_iter)
            for key in self.keys:
                t.writer.add_scalar("train_batch/" + key, t.storage.history(key).val, self.curr_iter)

    def after_epoch(self):
        t = self.trainer
        t.logger.info("Train result: " + " ".join(f"{k}: {t.storage.history(k).avg:.4f}" for k in self.keys))
        if t.writer is not None:
            for key in self.keys:
                t.writer.add_scalar("train/" + key, t.storage.history(key).avg, t.epoch + 1)


def checkpoint_state(trainer) -> dict:
    """Everything `resume` needs: Pointcept's keys plus RNG states and the global iteration."""
    return {
        "epoch": trainer.epoch + 1,
        "state_dict": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.scheduler.state_dict(),
        "scaler": trainer.scaler.state_dict() if trainer.scaler is not None else None,
        "best_metric_value": float(trainer.best_metric_value),
        "rng": get_rng_state(),
        "config": trainer.cfg.model.to_dict() if hasattr(trainer.cfg.model, "to_dict") else dict(trainer.cfg.model),
    }


@HOOKS.register_module()
class CheckpointSaver(HookBase):
    """Writes `model/model_last.pth` atomically after every epoch; copies it to `model_best.pth` on a better metric."""

    def __init__(self, save_freq: int | None = None):
        self.save_freq = save_freq

    def after_epoch(self):
        t = self.trainer
        is_best = False
        if "current_metric_value" in t.comm_info:
            value, name = t.comm_info["current_metric_value"], t.comm_info["current_metric_name"]
            if value > t.best_metric_value:
                t.best_metric_value, is_best = value, True
                t.logger.info(f"Best validation {name} updated to: {value:.4f}")
        if not comm.is_main_process():
            return  # every rank holds the same weights (DDP); rank 0 writes them
        model_dir = os.path.join(t.cfg.save_path, "model")
        last = os.path.join(model_dir, "model_last.pth")
        t.logger.info(f"Saving checkpoint to: {last}")
        atomic_save(checkpoint_state(t), last)
        if is_best:
            _atomic_copy(last, os.path.join(model_dir, "model_best.pth"))
        if self.save_freq and (t.epoch + 1) % self.save_freq == 0:
            _atomic_copy(last, os.path.join(model_dir, f"epoch_{t.epoch + 1}.pth"))


def _atomic_copy(src: str, dst: str) -> None:
    tmp = dst + ".tmp"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


@HOOKS.register_module()
class CheckpointLoader(HookBase):
    """Loads `cfg.weight` into the model; with `cfg.resume` also optimizer, scheduler, scaler, epoch and RNG states."""

    def __init__(self, keywords: str = "", replacement: str | None = None, strict: bool = False):
        self.keywords = keywords
        self.replacement = replacement if replacement is not None else keywords
        self.strict = strict

    def before_train(self):
        t = self.trainer
        if not t.cfg.weight:
            t.logger.info("No weight given: training from initialisation")
            return
        checkpoint = load_checkpoint(t.cfg.weight)
        weight = {}
        for key, value in model_state(checkpoint).items():
            if self.keywords and self.keywords in key:
                key = key.replace(self.keywords, self.replacement, 1)
            weight[key] = value
        missing, unexpected = getattr(t.model, "module", t.model).load_state_dict(weight, strict=self.strict)
        t.logger.info(
            f"Loaded weight {t.cfg.weight}: {len(weight) - len(unexpected)} tensors; "
            f"missing keys: {missing}; unexpected keys: {unexpected}"
        )
        if t.cfg.resume:
            t.start_epoch = checkpoint["epoch"]
            t.best_metric_value = checkpoint["best_metric_value"]
            t.optimizer.load_state_dict(checkpoint["optimizer"])
            t.scheduler.load_state_dict(checkpoint["scheduler"])
            if t.scaler is not None and checkpoint.get("scaler") is not None:
                t.scaler.load_state_dict(checkpoint["scaler"])
            if "rng" in checkpoint:
                set_rng_state(checkpoint["rng"])
            t.logger.info(f"Resuming training at epoch {t.start_epoch}")
