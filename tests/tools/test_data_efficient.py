"""tools/data_efficient.py writes the benchmark's task files for a Pointcept-layout data root: seeded, in Pointcept's
paths and formats, whole rooms for LR, a report of scenes with too few labels, no silent overwrite."""

import os

import numpy as np
import pytest
import torch

from pointcept_csp.datasets.synthetic import write_rooms
from pointcept_csp.utils.data_efficient import read_lr_file, room_of
from tests.helpers.common import run_tool


@pytest.fixture()
def data_root(tmp_path):
    root = str(tmp_path / "scannet")
    write_rooms(root, "scannet", {"train": [1, 2, 3, 4]}, density=20)
    # two re-scans of room 1, and a scan with only 5 labelled points
    os.rename(os.path.join(root, "train", "scene0002_00"), os.path.join(root, "train", "scene0001_01"))
    sparse = os.path.join(root, "train", "scene0004_00", "segment20.npy")
    segment = np.full_like(np.load(sparse), -1)
    segment[:5] = 3
    np.save(sparse, segment)
    return root


def test_writes_la_and_lr_files_where_pointcept_reads_them(data_root):
    args = ["tools/data_efficient.py", "--data-root", data_root, "--points", "20", "--scenes", "50", "--rooms", "1"]
    out = run_tool(*args).stdout
    tasks = os.path.join(data_root, "tasks")
    la = torch.load(os.path.join(tasks, "points", "points20"), weights_only=True)
    assert sorted(la) == ["scene0001_00", "scene0001_01", "scene0003_00", "scene0004_00"]
    for name, index in la.items():
        segment = np.load(os.path.join(data_root, "train", name, "segment20.npy"))
        assert (segment[index.numpy()] != -1).all() and len(np.unique(index.numpy())) == len(index)
        assert len(index) == (5 if name == "scene0004_00" else 20)
    assert "scene0004_00 (5)" in out  # the short scene is reported
    half, one_room = (read_lr_file(os.path.join(tasks, "scenes", n)) for n in ("50.txt", "rooms1.txt"))
    assert len(half) >= 2 and len({room_of(n) for n in one_room}) == 1  # 50 % of 4 scans; whole rooms
    for scenes in (half, one_room):  # the re-scans of room 1 come together or not at all
        assert ("scene0001_00" in scenes) == ("scene0001_01" in scenes), scenes


def test_draws_are_seeded(data_root, tmp_path):
    files = {}
    for seed, out in ((0, "a"), (0, "b"), (1, "c")):
        run_tool(
            "tools/data_efficient.py",
            "--data-root",
            data_root,
            "--points",
            "20",
            "--seed",
            str(seed),
            "--out",
            str(tmp_path / out),
        )
        files[out] = torch.load(str(tmp_path / out / "points" / "points20"), weights_only=True)
    assert all(torch.equal(files["a"][k], files["b"][k]) for k in files["a"])
    assert not all(torch.equal(files["a"][k], files["c"][k]) for k in files["a"] if k != "scene0004_00")


def test_refuses_to_overwrite_and_names_a_bad_root(data_root, tmp_path):
    run_tool("tools/data_efficient.py", "--data-root", data_root, "--points", "20")
    again = run_tool("tools/data_efficient.py", "--data-root", data_root, "--points", "20", check=False)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    run_tool("tools/data_efficient.py", "--data-root", data_root, "--points", "20", "--overwrite")
    missing = run_tool("tools/data_efficient.py", "--data-root", str(tmp_path / "none"), "--rooms", "1", check=False)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    too_many = run_tool(
        "tools/data_efficient.py", "--data-root", data_root, "--rooms", "9", "--out", str(tmp_path / "t"), check=False
    )
    assert too_many.returncode == 2 and "rooms must be in 1..3" in too_many.stderr
