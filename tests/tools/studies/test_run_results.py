"""tools/studies/run_results.py and the reports built on it: val curves are read from a finished run's train log and
labelled with the step the run reached, a row's value per seed is its last checkpoint (or plateau mean), differences
pair runs of the same seed, and the real-rooms report's ablation table carries those pairs."""

import argparse

import pytest

from tests.helpers.study_runs import finished_run
from tools.studies import rooms_report, run_results


def test_val_curve_labels_each_evaluation_with_the_step_the_run_reached(tmp_path):
    run = tmp_path / "ft-x-s0"
    run.mkdir()
    (run / "train.log").write_text(
        "[..] Train: [1/2][24/25] loss: 1.0\n[..] Train: [1/2][25/25] loss: 1.0\n"
        "[..] Val result: mIoU: 0.1000 mAcc: 0.2000 allAcc: 0.5000\n"
        "[..] Train: [2/2][25/25] loss: 1.0\n[..] Val result: mIoU: 0.1500 mAcc: 0.2500 allAcc: 0.5500\n"
    )
    assert run_results.val_curve(str(run)) == []  # not finished
    (run / "done").write_text("")
    curve = run_results.val_curve(str(run))
    assert [c[0] for c in curve] == [25, 50]
    assert curve[1][1:] == pytest.approx((15.0, 25.0, 55.0))


def test_last_val_reads_the_last_checkpoint_or_the_plateau_mean(tmp_path):
    for seed, values in ((0, (0.1, 0.2, 0.3)), (1, (0.2, 0.4, 0.2))):
        finished_run(tmp_path / f"ft-x-s{seed}", *values)
    assert run_results.last_val(str(tmp_path), "x", [0, 1, 2]) == pytest.approx([30.0, 20.0])  # seed 2 never ran
    assert run_results.last_val(str(tmp_path), "x", [0, 1], last=2) == pytest.approx([25.0, 30.0])


def test_paired_differences_pair_runs_of_the_same_seed(tmp_path):
    for name, seed, value in (("a", 0, 0.3), ("b", 0, 0.1), ("a", 1, 0.2), ("b", 2, 0.4)):
        finished_run(tmp_path / f"ft-{name}-s{seed}", value)
    paired = run_results.paired_differences(str(tmp_path), "a", "b", [0, 1, 2])
    assert paired == pytest.approx([20.0])  # seeds 1 and 2 have no partner


def test_the_rooms_report_pairs_the_ablation_rows_of_each_seed(tmp_path):
    for name, seed, value in (
        ("csp-spd", 0, 0.3),
        ("nocsp-plain", 0, 0.1),
        ("csp-spd", 1, 0.2),
        ("nocsp-plain", 1, 0.3),
    ):
        finished_run(tmp_path / f"ft-{name}-s{seed}", value)
    args = argparse.Namespace(exp=str(tmp_path), seeds=[0, 1], steps=300)
    row = next(line for line in rooms_report.tables(args).splitlines() if line.startswith("| full vs baseline"))
    assert "+20.0 / -10.0" in row and "5.0 ± 21.2" in row
