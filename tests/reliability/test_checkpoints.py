"""Checkpoint writes are atomic: a write that dies half way leaves the previous model_last.pth loadable."""

import os

import pytest
import torch

from pointcept_csp.utils.checkpoint import atomic_save, load_checkpoint


def test_interrupted_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = str(tmp_path / "model" / "model_last.pth")
    atomic_save({"epoch": 1, "state_dict": {"w": torch.ones(3)}}, path)

    def dying_save(obj, f):
        f.write(b"PK\x03\x04 half a checkpoint")  # bytes reach the temp file, then the process "dies"
        raise KeyboardInterrupt("killed mid-save")

    monkeypatch.setattr(torch, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        atomic_save({"epoch": 2, "state_dict": {"w": torch.zeros(3)}}, path)
    monkeypatch.undo()
    assert [f for f in os.listdir(tmp_path / "model")] == ["model_last.pth"]  # the temp file was removed
    state = load_checkpoint(path)
    assert state["epoch"] == 1 and torch.equal(state["state_dict"]["w"], torch.ones(3))


def test_a_torn_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "model_last.pth"
    path.write_bytes(b"PK\x03\x04 torn")
    with pytest.raises(RuntimeError, match="could not be read.*truncated"):
        load_checkpoint(str(path))
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_checkpoint(str(tmp_path / "missing.pth"))
