"""Multi-process training on torch.distributed with 2 CPU processes (gloo), through tools/train.py --num-gpus 2, the
launcher's code path on GPUs too: 2 ranks x B/2 train like 1 process x B; every rank holds the same student,
EMA teacher and DINO centre, and only rank 0 writes checkpoints; a NaN on one rank skips the step on both."""

import os
import subprocess
import sys

import pytest
import torch

from pointcept_csp.datasets.synthetic import write_rooms
from tests.helpers.common import ROOT

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not built")


def train(config: str, save: str, gpus: int, *options: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "tools/train.py", "--config-file", config, "--num-gpus", str(gpus), "--options"]
    cmd += [f"save_path={save}", f"hooks.-1.path={save}/dumps", *options]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def dumps(save: str, ranks: int) -> list[dict]:
    return [torch.load(os.path.join(save, "dumps", f"rank{r}.pth"), weights_only=False) for r in range(ranks)]


def assert_same_state(a: dict, b: dict, atol: float) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if a[key].is_floating_point():
            torch.testing.assert_close(a[key], b[key], atol=atol, rtol=0, msg=lambda m, k=key: f"{k}: {m}")
        else:
            assert torch.equal(a[key], b[key]), key


def test_two_ranks_train_like_one_process_with_the_whole_batch(tmp_path):
    config = "tests/fixtures/configs/toy_ddp.py"
    train(config, str(tmp_path / "one"), 1)
    train(config, str(tmp_path / "two"), 2)
    (single,), (rank0, rank1) = dumps(str(tmp_path / "one"), 1), dumps(str(tmp_path / "two"), 2)
    assert_same_state(rank0["state"], rank1["state"], atol=0)  # DDP: identical replicas
    assert_same_state(rank0["state"], single["state"], atol=1e-5)  # and the same training as one process
    initial = torch.load(os.path.join(tmp_path, "two", "model", "model_last.pth"), weights_only=False)
    assert any(k.startswith("module.") for k in initial["state_dict"])  # Pointcept's DDP checkpoint layout
    # 2 ranks x 1 sample x 2 accumulation steps (all-reduced once per optimizer step) = the same 4 samples per step
    train(config, str(tmp_path / "accum"), 2, "batch_size=2", "gradient_accumulation_steps=2")
    (accum, _) = dumps(str(tmp_path / "accum"), 2)
    assert_same_state(accum["state"], single["state"], atol=1e-5)


def test_pretraining_ranks_agree_and_only_rank_zero_writes(tmp_path):
    rooms = str(tmp_path / "rooms")
    write_rooms(rooms, "scannet", {"train": [11, 12, 13, 14]}, density=25)
    save = str(tmp_path / "pre")
    train("tests/fixtures/configs/pretrain_ddp.py", save, 2, f"data.train.data_root={rooms}")
    rank0, rank1 = dumps(save, 2)
    assert_same_state(rank0["state"], rank1["state"], atol=0)  # student, EMA teacher and DINO centre
    assert rank0["state"]["center"].abs().sum() > 0
    assert rank0["writes"] >= 1 and rank1["writes"] == 0
    assert os.path.isfile(os.path.join(save, "model", "model_last.pth"))


def test_a_nan_on_one_rank_skips_the_step_on_both(tmp_path):
    save = str(tmp_path / "nan")
    proc = train("tests/fixtures/configs/toy_ddp_nan.py", save, 2)
    rank0, rank1 = dumps(save, 2)
    assert rank0["skipped"] == rank1["skipped"] == 1
    assert_same_state(rank0["state"], rank1["state"], atol=0)
    assert "Skipped step" in proc.stdout + proc.stderr and "another rank" in proc.stdout + proc.stderr
