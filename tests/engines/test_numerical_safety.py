"""Non-finite losses and inputs skip the step before any update (weights and teacher unchanged), name the culprit,
and too many in a row stop the run; the teacher refuses a non-finite EMA update."""

import logging
import os

import pytest
import torch

import pointcept_csp  # noqa: F401
import tests.fixtures.toy_plugin  # noqa: F401
from pointcept_csp import host
from pointcept_csp.engines.trainer import CSPTrainer
from pointcept_csp.models.ema import ema_update_
from pointcept_csp.standalone.config import Config
from tests.helpers.common import ROOT


class StepHarness:
    """A CSPTrainer reduced to its step: model, optimizer, scheduler, no data loaders."""

    def __init__(self, model, max_nonfinite_steps=10):
        trainer = CSPTrainer.__new__(CSPTrainer)
        trainer.cfg = Config(dict(enable_amp=False, clip_grad=None, amp_dtype="float16"))
        trainer.device = torch.device("cpu")
        trainer.model = model
        trainer.optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
        trainer.scheduler = torch.optim.lr_scheduler.LambdaLR(trainer.optimizer, lambda _: 1.0)
        trainer.scaler = None
        trainer.accum_steps, trainer.max_nonfinite_steps = 1, max_nonfinite_steps
        trainer.accum_count = trainer.nonfinite_streak = trainer.skipped_steps = 0
        trainer.epoch, trainer.comm_info = 0, {"iter": 0}
        trainer.logger = logging.getLogger("pointcept_csp.test")
        self.trainer = trainer

    def step(self, batch):
        self.trainer.comm_info["input_dict"] = batch
        self.trainer.run_step()
        return self.trainer.comm_info


def toy_batch(nan=False):
    feat = torch.randn(20, 3)
    if nan:
        feat[12] = float("nan")  # one point of the second sample
    return dict(feat=feat, segment=(feat[:, 0] > 0).long(), offset=torch.tensor([10, 20]))


def snapshot(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_nan_loss_skips_the_step_and_names_the_term(caplog):
    model = host.build_model(dict(type="ToySegmentor", hidden=4))
    harness = StepHarness(model)
    before = snapshot(model)
    with caplog.at_level(logging.WARNING, logger="pointcept_csp.test"):
        info = harness.step(toy_batch(nan=True))
    assert info["optimizer_stepped"] is False and harness.trainer.skipped_steps == 1
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert "non-finite loss terms ['loss']" in caplog.text
    info = harness.step(toy_batch())
    assert info["optimizer_stepped"] is True and harness.trainer.nonfinite_streak == 0


def test_nan_input_in_one_sample_skips_the_step_keeping_student_and_teacher(caplog):
    torch.manual_seed(0)
    model = host.build_model(
        dict(
            type="SPD-Segmentor-v1m1",
            backbone=dict(type="PointCSP-SSM-v1m1-test"),
            backbone_out_channels=16,
            num_classes=4,
        )
    ).train()
    harness = StepHarness(model)
    coord = torch.rand(600, 3) * 3
    batch = dict(
        coord=coord,
        feat=torch.randn(600, 6),
        grid_coord=(coord / 0.1).floor().long(),
        segment=torch.randint(0, 4, (600,)),
        offset=torch.tensor([300, 600]),
    )
    batch["feat"][450, 2] = float("inf")
    before = snapshot(model)
    with caplog.at_level(logging.WARNING, logger="pointcept_csp.test"):
        info = harness.step(batch)
        # the teacher hook then sees optimizer_stepped False and does not run; even if asked, EMA refuses NaNs
    assert info["optimizer_stepped"] is False
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert "feat has NaN/Inf values" in caplog.text and "sample 1" in caplog.text


def test_too_many_skips_in_a_row_stop_the_run():
    harness = StepHarness(host.build_model(dict(type="ToySegmentor", hidden=4)), max_nonfinite_steps=2)
    harness.step(toy_batch(nan=True))
    harness.step(toy_batch(nan=True))
    with pytest.raises(RuntimeError, match="3 steps in a row were non-finite"):
        harness.step(toy_batch(nan=True))


def test_teacher_refuses_a_non_finite_ema_update():
    teacher, student = torch.nn.Linear(3, 3), torch.nn.Linear(3, 3)
    before = snapshot(teacher)
    with torch.no_grad():
        student.weight[0, 0] = float("nan")
    assert ema_update_(teacher, student, 0.9) is False
    assert all(torch.equal(before[k], v) for k, v in teacher.state_dict().items())
    with torch.no_grad():
        student.weight[0, 0] = 1.0
    assert ema_update_(teacher, student, 0.9) is True
    assert not torch.equal(before["weight"], teacher.weight)


class EmptyDataset(torch.utils.data.Dataset):
    """Like Pointcept's DefaultDataset on a folder without samples: constructs fine, holds nothing."""

    def __init__(self, data_root: str, split: str) -> None:
        self.data_root, self.split = data_root, split

    def __len__(self) -> int:
        return 0


def test_an_empty_training_set_fails_naming_the_path(tmp_path):
    host.DATASETS.register_module("EmptyDataset", module=EmptyDataset, force=True)
    cfg = Config.fromfile(os.path.join(ROOT, "tests", "fixtures", "configs", "toy.py"))
    cfg.merge_from_dict(
        {"save_path": str(tmp_path), "data.train": dict(type="EmptyDataset", data_root="/data/scannet", split="train")}
    )
    cfg = host.default_setup(cfg)
    with pytest.raises(ValueError, match="EmptyDataset has no samples: data_root='/data/scannet', split='train'"):
        CSPTrainer(cfg)
