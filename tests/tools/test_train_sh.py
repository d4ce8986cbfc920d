"""tools/train.sh with Pointcept's flags: experiment folder exp/<dataset>/<name>/ with config, code snapshot and
checkpoints; `-r true` resumes from the experiment's own config and model_last.pth."""

import os
import shutil
import subprocess

import torch

from pointcept_csp.datasets.synthetic import write_rooms
from tests.helpers.common import ROOT


def test_train_sh_experiment_folder_and_resume(tmp_path):
    root = str(tmp_path / "rooms")
    write_rooms(root, "s3dis", {"Area_1": [1], "Area_2": [2], "Area_5": [3]}, density=30)
    name = f"pytest-{os.getpid()}"
    exp = os.path.join(ROOT, "exp", "s3dis", name)
    overrides = " ".join(
        [f"data.{s}.data_root={root}" for s in ("train", "val", "test")]
        + ['data.train.split=["Area_1","Area_2"]', "epoch=4", "eval_epoch=2", "batch_size=2"]
    )
    env = dict(os.environ, OMP_NUM_THREADS="1")
    try:
        cmd = ["sh", "tools/train.sh", "-c", "configs/s3dis/pointcsp-tiny.py", "-n", name, "-o", overrides]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        for path in (
            "config.py",
            "train.log",
            "model/model_last.pth",
            "code/pointcept_csp/host.py",
            "code/tools/train.py",
        ):
            assert os.path.exists(os.path.join(exp, path)), path
        assert torch.load(os.path.join(exp, "model", "model_last.pth"), weights_only=True)["epoch"] == 2
        # resume: restores from the experiment's own config.py and model_last.pth (nothing is left to train here)
        proc = subprocess.run(
            ["sh", "tools/train.sh", "-c", "configs/s3dis/pointcsp-tiny.py", "-n", name, "-r", "true"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        with open(os.path.join(exp, "train.log")) as f:
            assert "Resuming training at epoch 2" in f.read()
    finally:
        shutil.rmtree(exp, ignore_errors=True)
