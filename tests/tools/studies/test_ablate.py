"""tools/studies/ablate.py declares the paper's 4-row ablation from the one shared definition (tools/studies/
ablation.py): each row fine-tunes the backbone of its pre-training (CSP or not) with or without SPD, then tests it;
its report (ablate_report.py) gives each row its mean and spread over seeds."""

import argparse
import json
import os

from pointcept_csp.utils.run_graph import Run
from tools.studies import ablate_report, ablation
from tools.studies.ablate import AblationStudy


def test_each_ablation_row_fine_tunes_its_pre_training_with_or_without_spd(tmp_path):
    args = argparse.Namespace(
        exp=str(tmp_path), data_root="data", pretrain_config="pre.py", finetune_config="ft.py",
        pretrain_options=[], finetune_options=[],
    )  # fmt: skip
    study = AblationStudy(args)
    for _, csp, spd in ablation.ROWS:
        test = study.finetune(0, study.backbone(0, csp), spd, ablation.run_name(csp, spd))
        finetune = test.needs[0]
        export = finetune.needs[0]
        pretrain = export.needs[0]
        assert f"model.cross_sample={csp}" in pretrain.command
        assert f"model.spd={spd}" in finetune.command and ("model.lambda_spd=0.0" in finetune.command) == (not spd)
        assert f"weight={os.path.join(pretrain.path, 'model', 'backbone.pth')}" in finetune.command
        assert test.command[0] == "tools/test.py"
    assert (
        len(study.runs) == 2 * 2 + 4 * 2
    )  # two pre-trainings (+ exports) shared by the rows, four fine-tunings + tests
    assert sorted(name for name, *_ in ablation.ROWS) == ["+CSP", "+SPD", "baseline", "full"]


def test_the_report_gives_each_row_its_mean_and_spread_over_seeds(tmp_path):
    args = argparse.Namespace(
        pretrain_config="pre.py", finetune_config="ft.py", pretrain_options=[], finetune_options=[], seeds=[0, 1]
    )
    table = {}
    for seed, miou in ((0, 0.30), (1, 0.40)):
        run_dir = tmp_path / f"ft-s{seed}"
        (run_dir / "result").mkdir(parents=True)
        (run_dir / "result" / "metrics.json").write_text(json.dumps(dict(mIoU=miou, mAcc=0.5, allAcc=0.8)))
        table[("ablation", "full", seed)] = Run(str(run_dir / "test"), ["tools/test.py"])
    row = next(line for line in ablate_report.markdown(args, table, {}).splitlines() if line.startswith("| full"))
    assert row == "| full | 35.0 ± 7.1 | 50.0 ± 0.0 | 80.0 ± 0.0 |"
