"""Atomic checkpoint writes: a reader sees the old file or the complete new one, never a torn one."""

from __future__ import annotations

import importlib
import os
import tempfile
from typing import Any

import numpy as np
import torch


def atomic_save(obj: Any, path: str) -> None:
    """`torch.save` to a temp file in the same folder, fsync, then `os.replace` onto `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def load_checkpoint(path: str, map_location: str | torch.device = "cpu", weights_only: bool = True) -> dict:
    """Load a checkpoint dict with a clear error for missing or unreadable files.

    `weights_only=True` (default) unpickles tensors and plain python values only; a checkpoint written by
    other code that holds arbitrary objects needs `weights_only=False`, which runs its pickled code: trust it first.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=weights_only)
    except Exception as e:
        hint = " (if you trust the file, load it with weights_only=False)" if weights_only else ""
        raise RuntimeError(
            f"checkpoint {path} could not be read ({type(e).__name__}: {e}); "
            f"it may be truncated or hold objects other than tensors{hint}"
        ) from e


def unwrap_ddp(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The state dict with DDP's `module.` prefix dropped from every key that has it (Pointcept saves it so); the one
    place the plugin strips it."""
    return {key.removeprefix("module."): value for key, value in state_dict.items()}


def model_state(path_or_checkpoint: str | dict, map_location: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """The model weights of a checkpoint (a path, or a loaded dict): its `state_dict` (Pointcept's layout), or the
    dict itself when it is a bare state dict, with DDP's `module.` prefixes dropped. Every loader of model weights
    (testers, the weight-loading hook, backbone initialisation) reads them through here."""
    named = isinstance(path_or_checkpoint, str)
    checkpoint = load_checkpoint(path_or_checkpoint, map_location) if named else path_or_checkpoint
    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else checkpoint
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        got = f"keys {list(state)[:8]}" if isinstance(state, dict) else type(state).__name__
        where = path_or_checkpoint if named else "the checkpoint"
        raise ValueError(f"{where} holds no model weights: expected a 'state_dict' of tensors, got {got}")
    return unwrap_ddp(state)


def load_arrays_weights_only(path: str) -> Any:
    """`torch.load(path, weights_only=True)` that also admits numpy arrays (files written with numpy values, such as
    Pointcept's older scene dicts and the data-efficient benchmark's label files) and nothing else; ValueError
    names any other object the file holds."""
    names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    foreign = [n for n in names if not n.startswith("numpy")]
    if foreign:
        raise ValueError(f"{path}: holds objects other than tensors and numpy arrays: {foreign[:5]}")
    # numpy arrays also need their dtype classes, which the scan above does not list
    allowed = [_global(name) for name in names] + [getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith("DType")]
    with torch.serialization.safe_globals(allowed):
        return torch.load(path, map_location="cpu", weights_only=True)


def _global(name: str):
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)
