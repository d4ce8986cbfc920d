"""tools/studies/efficient.py, the data-efficient study (#29): it lists the five rows per regime and seed on the right
pre-training and task file, sizes an LR schedule from the same seeded draw tools/data_efficient.py writes, and its
report (efficient_report.py) pairs runs of the same seed."""

import argparse
import os
import shlex

import pytest

from tests.helpers.common import run_tool
from tests.helpers.study_runs import finished_run
from tools.studies import efficient, efficient_report, rooms

ROOMS = os.path.join(os.path.dirname(efficient.ROOT), "shared", "data", "scannet-rooms")
pytestmark = pytest.mark.skipif(not os.path.isdir(ROOMS), reason=f"real sample rooms not found at {ROOMS}")


def args(tmp_path, **kw):
    values = dict(exp=str(tmp_path / "exp"), data_root=ROOMS, steps=300, seeds=[0, 1, 2])
    return argparse.Namespace(**{**values, **kw})


def test_core_lists_every_row_on_its_pre_training_and_task_file(tmp_path):
    study = efficient.EfficientStudy(args(tmp_path))
    study.core([0, 1])
    runs = {os.path.basename(p): r for p, r in study.runs.items()}
    for seed in (0, 1):
        for regime in ("la20", "lr1"):
            for row, pre, spd in efficient.ROWS:
                run = runs[f"ft-{regime}-{row}-s{seed}"]
                needs = sorted(os.path.basename(n.path) for n in run.needs)
                assert needs == sorted([f"tasks-s{seed}"] + ([f"pre-{pre}-s{seed}"] if pre else [])), needs
                assert ("model.spd=False" in run.command) == (not spd)
                task = f"tasks-s{seed}/points/points20" if regime == "la20" else f"tasks-s{seed}/scenes/rooms1.txt"
                assert any(o.endswith(task) for o in run.command), run.command
    assert "model.cross_sample=False" in runs["pre-nocsp-s0"].command
    assert "model.cross_sample=False" not in runs["pre-csp-s0"].command


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lr_schedules_give_the_steps_for_the_scans_the_tool_draws(tmp_path, seed):
    study = efficient.EfficientStudy(args(tmp_path))
    study.core([seed])
    study.more([seed])
    tasks = study.runs[os.path.join(study.args.exp, f"tasks-s{seed}")]
    run_tool(*tasks.command)
    for rooms_drawn in efficient.ROOMS:
        with open(os.path.join(tasks.path, "scenes", f"rooms{rooms_drawn}.txt")) as f:
            scans = len(f.read().split())
        run = study.runs[os.path.join(study.args.exp, f"ft-lr{rooms_drawn}-csp-spd-s{seed}")]
        options = dict(o.split("=", 1) for o in run.command if "=" in o)
        loops = int(options["epoch"]) // int(options["eval_epoch"])
        every = scans * loops // int(options["batch_size"])  # trainer epochs drop the last incomplete batch
        assert scans * loops % int(options["batch_size"]) == 0, (scans, loops)
        assert every >= rooms.EVAL_EVERY and every * int(options["eval_epoch"]) == 300, (scans, options)


def test_tables_pair_runs_of_the_same_seed(tmp_path):
    exp = tmp_path / "exp"
    for name, seed, value in (
        ("la20-csp-plain", 0, 0.3),
        ("la20-scratch-plain", 0, 0.1),
        ("la20-csp-plain", 1, 0.2),
        ("la20-scratch-plain", 1, 0.25),
        ("all-csp-plain", 0, 0.6),
        ("all-csp-plain", 1, 0.4),
    ):
        finished_run(exp / f"ft-{name}-s{seed}", value)
    text = efficient_report.tables(args(tmp_path, seeds=[0, 1]))
    row = next(line for line in text.splitlines() if line.startswith("| CSP pre-training vs random init"))
    assert "+20.0 / -5.0" in row and "7.5 ± 17.7" in row
    ratios = text[text.index("Few labels / all labels") :].splitlines()
    ratio = next(line for line in ratios if line.startswith("| csp-plain |"))
    assert "0.50" in ratio  # la20 25.0 / all 50.0


def test_the_dry_run_lists_without_running(tmp_path):
    out = run_tool(
        "tools/studies/efficient.py",
        "core",
        "--dry-run",
        "--seeds",
        "0",
        "--exp",
        str(tmp_path / "e"),
        "--data-root",
        ROOMS,
    ).stdout
    assert out.count("to run") == 1 + 2 + 10 and not os.path.exists(tmp_path / "e")
    assert shlex.split(out.splitlines()[0])[3] == "tools/data_efficient.py"


def test_probes_fit_on_the_seeds_sparse_labels(tmp_path):
    study = efficient.EfficientStudy(args(tmp_path))
    study.probes([1])
    runs = {os.path.basename(p): r for p, r in study.runs.items()}
    for pre in ("csp", "nocsp"):
        run = runs[f"probe-la20-{pre}-s1.json"]
        assert run.command[run.command.index("--la-file") + 1].endswith("tasks-s1/points/points20")
        assert ("--no-reference" in run.command) == (pre == "nocsp")  # random init read once per seed
        assert sorted(os.path.basename(n.path) for n in run.needs) == [f"pre-{pre}-s1", "tasks-s1"]
