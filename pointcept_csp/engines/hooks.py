"""Hooks that drive PointCSP's schedules. They act on the model they are handed: schedules reach it through
`set_progress(step, total_steps)`, the teacher through `update_teacher()`; the model never reads the trainer."""

from __future__ import annotations

from .. import host
from ..models.ema import cosine_ramp


def unwrap(model):
    """The bare model behind DistributedDataParallel."""
    return getattr(model, "module", model)


def check_teacher_hooks(hook_types: list[str], model) -> None:
    """A model with a teacher (PointCSP pre-training, SPD with `spd=True`) needs `ModelProgress` (its schedules) and
    `TeacherEMA` (without it the teacher never moves: a frozen target, silently); an SPD teacher also starts as the
    loaded student, so `SyncTeacher` must come after `CheckpointLoader`. Raises naming what is missing or misplaced."""
    model = unwrap(model)
    if getattr(model, "teacher", None) is None:
        return
    needed = ["ModelProgress", "TeacherEMA"] + (["SyncTeacher"] if hasattr(model, "sync_teacher") else [])
    missing = [h for h in needed if h not in hook_types]
    if missing:
        raise ValueError(
            f"{type(model).__name__} has an EMA teacher: the config's hooks need {missing} (they drive its schedule "
            f"and its updates); hooks given: {hook_types}"
        )
    if "SyncTeacher" in needed and "CheckpointLoader" in hook_types:
        if hook_types.index("SyncTeacher") < hook_types.index("CheckpointLoader"):
            raise ValueError(
                f"SyncTeacher must come after CheckpointLoader (it copies the loaded student into the teacher); "
                f"hooks given: {hook_types}"
            )


@host.HOOKS.register_module()
class ModelProgress(host.HookBase):
    """Before every step: `model.set_progress(global_step, total_steps)` (teacher temperature, EMA momentum, ...)."""

    def before_train(self):
        self.per_epoch = len(self.trainer.train_loader)
        self.total = self.trainer.max_epoch * self.per_epoch

    def before_step(self):
        step = self.trainer.epoch * self.per_epoch + self.trainer.comm_info["iter"]
        unwrap(self.trainer.model).set_progress(step, self.total)


@host.HOOKS.register_module()
class TeacherEMA(host.HookBase):
    """After every optimizer step: one EMA step of the teacher (momentum from the model's schedule). Skipped when
    the trainer skipped the step, and refused by the model when the student holds non-finite values."""

    def after_step(self):
        info = self.trainer.comm_info
        if not info.get("optimizer_stepped", True):
            return
        if not unwrap(self.trainer.model).update_teacher():
            self.trainer.logger.warning("TeacherEMA: student parameters are non-finite; teacher update skipped")


@host.HOOKS.register_module()
class WeightDecayScheduler(host.HookBase):
    """Cosine weight-decay schedule `base_value -> final_value` over training (groups with weight decay 0 stay 0)."""

    def __init__(self, base_value: float = 0.04, final_value: float = 0.2) -> None:
        self.base_value, self.final_value = base_value, final_value

    def before_train(self):
        self.per_epoch = len(self.trainer.train_loader)
        self.total = max(self.trainer.max_epoch * self.per_epoch, 1)

    def before_step(self):
        step = self.trainer.epoch * self.per_epoch + self.trainer.comm_info["iter"]
        value = cosine_ramp(self.base_value, self.final_value, step / self.total)
        for group in self.trainer.optimizer.param_groups:
            if group.get("weight_decay", 0.0) > 0:
                group["weight_decay"] = value


@host.HOOKS.register_module()
class SyncTeacher(host.HookBase):
    """Before training (not when resuming): teacher := student, after `weight=` loaded weights into the student.
    Put it right after CheckpointLoader."""

    def before_train(self):
        if not self.trainer.cfg.get("resume", False):
            model = unwrap(self.trainer.model)
            if hasattr(model, "sync_teacher"):
                model.sync_teacher()
                self.trainer.logger.info("SyncTeacher: teacher initialised as a copy of the (loaded) student")
