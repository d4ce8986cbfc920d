"""tools/studies/ablate.py declares the paper's 4-row ablation from the one shared definition (tools/studies/
ablation.py): each row fine-tunes the backbone of its pre-training (CSP or not) with or without SPD, then tests it."""

import argparse
import os

from tools.studies import ablation
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
