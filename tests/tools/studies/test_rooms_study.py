"""tools/studies/rooms.py, the #22 driver: its fine-tuning schedules give the asked number of optimizer steps at
every batch size, the study lists the runs it promises (4 ablation rows, 2 x 3 batch sizes, U-Net plain / SPD per
seed) under its folder (the run graph: tests/utils/test_run_graph.py; reading results: test_run_results.py)."""

import argparse
import os

import pytest

from tools.studies import rooms


def args(tmp_path, **kw):
    values = dict(
        exp=str(tmp_path / "exp"), data_root="data", steps=300, search_steps=150, long_steps=400, seeds=[0, 1]
    )
    return argparse.Namespace(**{**values, **kw})


@pytest.mark.parametrize("batch", [2, 4, 8])
def test_finetune_schedule_gives_the_asked_steps(batch):
    options = dict(o.split("=") for o in rooms.finetune_schedule(150, batch))
    loops = int(options["epoch"]) // int(options["eval_epoch"])
    steps_per_trainer_epoch = rooms.TRAIN_SCANS * loops / batch
    assert steps_per_trainer_epoch == rooms.EVAL_EVERY
    assert steps_per_trainer_epoch * int(options["eval_epoch"]) == 150 and int(options["batch_size"]) == batch


def test_finetune_schedule_refuses_steps_it_cannot_split():
    with pytest.raises(ValueError, match="do not split"):
        rooms.finetune_schedule(160, 4)
    with pytest.raises(ValueError, match="batch 3"):
        rooms.finetune_schedule(150, 3, every=25)


def test_the_study_lists_every_promised_run(tmp_path):
    study = rooms.Study(args(tmp_path))
    study.study([0, 1])
    names = [os.path.basename(p) for p in study.runs]
    for seed in (0, 1):
        for run in ("csp-plain", "csp-spd", "nocsp-plain", "nocsp-spd", "spunet-plain", "spunet-spd"):
            assert f"ft-{run}-s{seed}" in names
        for batch in (2, 8):
            assert {f"ft-csp-plain-b{batch}-s{seed}", f"ft-csp-spd-b{batch}-s{seed}"} <= set(names)
        assert {f"pre-csp-s{seed}", f"pre-nocsp-s{seed}", f"probe-csp-s{seed}.json"} <= set(names)
    plain = study.runs[os.path.join(str(tmp_path / "exp"), "ft-nocsp-plain-s1")]
    assert "model.spd=False" in plain.command and plain.needs[0].command[-1] == "model.cross_sample=False"
    assert not study.runs[os.path.join(str(tmp_path / "exp"), "ft-spunet-spd-s0")].needs  # from scratch
    assert (
        "ft-scratch-plain-s1" in names
        and not study.runs[os.path.join(str(tmp_path / "exp"), "ft-scratch-plain-s1")].needs
    )
    assert len(names) == len(set(names)) == 2 * (2 + 2 + 4 + 4 + 2 + 1)


def test_the_study_and_the_search_fine_tune_for_their_own_step_counts(tmp_path):
    study = rooms.Study(args(tmp_path))
    study.study([0])
    study.search()
    runs = {os.path.basename(p): r for p, r in study.runs.items()}
    assert "eval_epoch=6" in runs["ft-csp-spd-b8-s0"].command  # 300 steps, an evaluation every 50
    assert "eval_epoch=3" in runs["ft-spd-weight-3-s0"].command  # 150 steps
