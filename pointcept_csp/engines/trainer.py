"""CSPTrainer: the host's trainer (Pointcept's `Trainer`, or the standalone one) plus what PointCSP runs need.

- one code path for GPU and CPU: the batch moves to the model's device (no `.cuda()`), AMP and GradScaler only on CUDA;
- gradient accumulation; with `lr_base_batch_size` set, learning rates follow the linear scaling rule
  lr * (batch_size * gradient_accumulation_steps) / lr_base_batch_size;
- numerical safety: a non-finite loss term, gradient norm or input (NaN / Inf in a sample) skips the step before
  any update (the log names the term or the sample), `comm_info["optimizer_stepped"]` tells the teacher hook, and
  more than `max_nonfinite_steps` skips in a row stop the run; under DDP the ranks agree, so all skip together;
- gradient accumulation under DDP all-reduces once per optimizer step (`no_sync()` on the other steps);
- per-term loss logging comes from the model's output dict (every scalar is logged by InformationWriter);
- the optimizer's parameter groups are built here under both hosts (no weight decay on SSM decay rates and norms).
"""

from __future__ import annotations

import math
from contextlib import nullcontext

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from .. import host
from ..models.validation import NonFiniteInputError
from ..utils import comm
from ..utils.allocator import apply_cpu_allocator
from ..utils.device import default_device, to_device
from ..utils.optim import build_optimizer, per_param_group
from .hooks import check_teacher_hooks, unwrap

AMP_DTYPES = dict(float16=torch.float16, bfloat16=torch.bfloat16)


def scale_learning_rates(cfg) -> float:
    """Apply the linear scaling rule to optimizer / scheduler / param_dicts LRs in `cfg`; returns the factor."""
    base = cfg.get("lr_base_batch_size")
    if not base:
        return 1.0
    factor = cfg.batch_size * cfg.get("gradient_accumulation_steps", 1) / base
    cfg.optimizer.lr = cfg.optimizer.lr * factor
    if "max_lr" in cfg.scheduler:
        max_lr = cfg.scheduler.max_lr
        cfg.scheduler.max_lr = [v * factor for v in max_lr] if isinstance(max_lr, (list, tuple)) else max_lr * factor
    for group in cfg.get("param_dicts") or []:
        if "lr" in group:
            group["lr"] = group["lr"] * factor
    return factor


def empty_dataset_error(dataset_cfg) -> ValueError:
    """The error for a training set without samples, naming where it looked (the loaders fail with a sampler error
    or a division by zero that names nothing)."""
    return ValueError(
        f"the training dataset {dataset_cfg.get('type')} has no samples: data_root="
        f"{dataset_cfg.get('data_root')!r}, split={dataset_cfg.get('split')!r}; check the path and the split names"
    )


def agree_on_skip(reason: str | None, device: torch.device) -> str | None:
    """Under DDP every rank must skip a step together (a rank that skipped before backward would leave the others
    waiting in the gradient all-reduce): the decision is all-reduced; a rank without a reason of its own gets one."""
    if comm.get_world_size() == 1:
        return reason
    flag = torch.tensor([0.0 if reason is None else 1.0], device=device)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    if flag.item() > 0 and reason is None:
        return "another rank had a non-finite input or loss"
    return reason


def non_finite_terms(output: dict) -> list[str]:
    return [
        k
        for k, v in output.items()
        if k.startswith("loss") and torch.is_tensor(v) and not bool(torch.isfinite(v).all())
    ]


@host.TRAINERS.register_module("CSPTrainer")
class CSPTrainer(host.DefaultTrainer):
    def __init__(self, cfg) -> None:
        self.device = default_device(cfg.get("device", "auto"))
        self.lr_factor = scale_learning_rates(cfg)
        self.accum_steps = int(cfg.get("gradient_accumulation_steps", 1))
        if self.accum_steps < 1:
            raise ValueError(f"gradient_accumulation_steps must be >= 1, got {self.accum_steps}")
        self.max_nonfinite_steps = int(cfg.get("max_nonfinite_steps", 10))
        self.accum_count = self.nonfinite_streak = self.skipped_steps = 0
        if host.NAME == "pointcept" and cfg.get("num_worker_per_gpu", 1) < 1:
            raise ValueError(
                f"Pointcept's data loaders keep persistent workers, which needs num_worker >= 1 per process; got "
                f"num_worker={cfg.get('num_worker')} for {comm.get_world_size()} process(es)"
            )
        # CPU runs under either host's train.py: the config's cpu_allocator, by default 'keep' (no page-fault churn)
        apply_cpu_allocator(cfg.get("cpu_allocator", "keep"))
        super().__init__(cfg)
        check_teacher_hooks([h["type"] for h in cfg.hooks], self.model)
        self.logger.info(host.describe())
        if self.lr_factor != 1.0:
            self.logger.info(
                f"Learning rates scaled by {self.lr_factor:g} (linear rule, lr_base_batch_size="
                f"{cfg.lr_base_batch_size}, effective batch {cfg.batch_size * self.accum_steps})"
            )

    def build_model(self) -> torch.nn.Module:
        model = host.build_model(self.cfg.model).to(self.device)
        if self.cfg.get("sync_bn") and comm.get_world_size() > 1:
            model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        self.logger.info(f"Model {self.cfg.model['type']} on {self.device}: {n_params} trainable parameters")
        if comm.get_world_size() > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            model = DistributedDataParallel(
                model,
                device_ids=ids,
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get("find_unused_parameters", False),
            )
        return model

    def build_train_loader(self):
        """The host's loader. An empty training set fails naming data_root and split: Pointcept's single-process
        loader raises a sampler error while it is built (then, and only then, the dataset is built again to tell),
        and a loader with no batch would divide by zero in the scheduler."""
        try:
            loader = super().build_train_loader()
        except ValueError as e:
            if len(host.DATASETS.build(self.cfg.data.train)) == 0:
                raise empty_dataset_error(self.cfg.data.train) from e
            raise
        if len(loader) == 0:
            raise empty_dataset_error(self.cfg.data.train)
        return loader

    def build_optimizer(self) -> torch.optim.Optimizer:
        """The same parameter groups under both hosts (`utils.optim.build_optimizer`): SSM decay rates, norms and
        biases without weight decay, `param_dicts` learning rates."""
        return build_optimizer(self.cfg.optimizer, unwrap(self.model), self.cfg.get("param_dicts"))

    def build_scheduler(self):
        """The host's scheduler; a list `max_lr` (one per learning-rate group) is first expanded to the optimizer's
        groups, which `build_optimizer` split by weight decay."""
        max_lr = self.cfg.scheduler.get("max_lr")
        if isinstance(max_lr, (list, tuple)):
            self.cfg.scheduler.max_lr = per_param_group(max_lr, self.optimizer)
        return super().build_scheduler()

    def build_scaler(self):
        if self.cfg.enable_amp and self.device.type == "cuda" and self.cfg.get("amp_dtype", "float16") == "float16":
            return torch.amp.GradScaler("cuda")
        return None

    def run_step(self) -> None:
        info = self.comm_info
        info["optimizer_stepped"] = False
        input_dict = to_device(info["input_dict"], self.device)
        if self.accum_count == 0:
            self.optimizer.zero_grad(set_to_none=True)
        step_now = self.accum_count + 1 >= self.accum_steps
        # accumulation steps skip DDP's gradient all-reduce; the step that updates the weights does it once
        sync = (
            nullcontext() if step_now or not isinstance(self.model, DistributedDataParallel) else self.model.no_sync()
        )
        with sync:
            output, reason = self.forward(input_dict)
            info["model_output_dict"] = output
            reason = agree_on_skip(reason, self.device)
            if reason is not None:
                return self.skip_step(reason)
            loss = output["loss"] / self.accum_steps
            (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
        self.accum_count += 1
        if not step_now:
            return None
        self.accum_count = 0
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        clip = self.cfg.clip_grad if self.cfg.clip_grad is not None else math.inf
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip)
        if not bool(torch.isfinite(grad_norm)):  # the same on every rank: gradients are all-reduced first
            if self.scaler is not None:
                self.scaler.update()  # lets the scaler lower its scale after an overflow
            return self.skip_step("non-finite gradient norm")
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.nonfinite_streak = 0
        info["optimizer_stepped"] = True
        return None

    def forward(self, input_dict: dict) -> tuple[dict, str | None]:
        """The model's output and why this step must be skipped (None: it need not)."""
        amp = bool(self.cfg.enable_amp) and self.device.type == "cuda"
        dtype = AMP_DTYPES[self.cfg.get("amp_dtype", "float16")]
        try:
            with torch.autocast(device_type=self.device.type, dtype=dtype, enabled=amp):
                output = self.model(input_dict)
        except NonFiniteInputError as e:
            return {}, f"non-finite input: {e}"
        bad = non_finite_terms(output)
        return output, (f"non-finite loss terms {bad}" if bad else None)

    def skip_step(self, reason: str) -> None:
        """Drop this step's gradients and any partial accumulation; fail after too many skips in a row."""
        self.optimizer.zero_grad(set_to_none=True)
        self.accum_count = 0
        self.skipped_steps += 1
        self.nonfinite_streak += 1
        self.logger.warning(
            f"Skipped step (epoch {self.epoch + 1}, iter {self.comm_info['iter'] + 1}): {reason}; "
            f"weights and teacher unchanged ({self.skipped_steps} skipped so far)"
        )
        if self.nonfinite_streak > self.max_nonfinite_steps:
            raise RuntimeError(
                f"{self.nonfinite_streak} steps in a row were non-finite ({reason}); stopping. "
                f"Lower the learning rate, enable clip_grad, or check the data"
            )
