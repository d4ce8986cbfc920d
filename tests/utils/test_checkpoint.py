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


def test_model_state_reads_pointcepts_layout_a_bare_state_dict_and_refuses_the_rest(tmp_path):
    from pointcept_csp.utils.checkpoint import model_state

    weights = {"module.w": torch.ones(2), "b": torch.zeros(1)}
    for name, saved in (("pointcept", {"epoch": 3, "state_dict": weights}), ("bare", weights)):
        path = str(tmp_path / f"{name}.pth")
        atomic_save(saved, path)
        for source in (path, saved):
            state = model_state(source)
            assert list(state) == ["w", "b"] and torch.equal(state["w"], torch.ones(2)), (name, source)
    atomic_save({"epoch": 3, "state_dict": {"w": [1, 2]}}, str(tmp_path / "odd.pth"))
    with pytest.raises(
        ValueError, match=r"odd.pth holds no model weights: expected a 'state_dict' of tensors, got keys \['w'\]"
    ):
        model_state(str(tmp_path / "odd.pth"))


def test_every_loader_reads_a_ddp_checkpoint_through_one_unwrap(tmp_path):
    """A Pointcept DDP checkpoint (`module.` keys) loads the same as a plain one into the tester's model and through
    the backbone loader's prefix filter; both (and the standalone CheckpointLoader hook, tests/models/test_spd.py) go
    through `utils.checkpoint.model_state`."""
    import pointcept_csp  # noqa: F401
    from pointcept_csp import host
    from pointcept_csp.engines.testers import load_trained_model
    from pointcept_csp.models.weights import strip_prefix
    from pointcept_csp.utils.checkpoint import model_state, unwrap_ddp

    torch.manual_seed(0)
    cfg = dict(
        type="SPD-Segmentor-v1m1",
        num_classes=3,
        backbone_out_channels=8,
        spd=False,
        backbone=dict(type="SpUNet-native-v1m1", in_channels=6, channels=(8, 8), dec_channels=(8,)),
    )
    state = host.build_model(cfg).state_dict()
    assert unwrap_ddp({"module.a.module.b": 1, "c": 2}) == {"a.module.b": 1, "c": 2}  # only the leading prefix
    for name, saved in (("plain", state), ("ddp", {f"module.{k}": v for k, v in state.items()})):
        path = str(tmp_path / f"{name}.pth")
        atomic_save(dict(state_dict=saved), path)
        model, _ = load_trained_model(cfg, path, torch.device("cpu"))
        for key, value in model.state_dict().items():
            assert torch.equal(value, state[key]), (name, key)
        backbone = strip_prefix(model_state(path), "backbone.")
        assert backbone and all(torch.equal(v, state[f"backbone.{k}"]) for k, v in backbone.items())
