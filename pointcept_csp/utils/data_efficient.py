"""ScanNet's data-efficient benchmark (Hou et al., CVPR 2021) in the file formats Pointcept's `ScanNetDataset` reads.

- Limited annotations (LA), `la_file`: a torch file holding `{scene name: 1-D integer indices}`; a scene keeps the
  labels of the listed points and every other point's label becomes `ignore_index`.
- Limited reconstructions (LR), `lr_file`: a text file of scene names (whitespace separated, one per line as written
  here); only `<data_root>/train/<name>` of the listed scenes are trained on.

The standalone host's `ScanNetDataset` reads both through this module (Pointcept's own dataset is used unchanged under
Pointcept); `tools/data_efficient.py` writes them. LA files are written as int64 tensors, which `torch.load`'s
default `weights_only=True` (torch >= 2.6, as Pointcept calls it) accepts; numpy-valued files are read here too.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence

import numpy as np
import torch

from .checkpoint import atomic_save, load_arrays_weights_only

RESCAN = re.compile(r"^(scene\d{4})_\d{2}$")  # ScanNet names re-scans of room XXXX sceneXXXX_00, _01, ...


def read_la_file(path: str) -> dict[str, np.ndarray]:
    """`{scene name: sorted int64 indices}` from an LA file; ValueError for anything else."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"la_file {os.path.abspath(path)} does not exist; tools/data_efficient.py writes one")
    try:
        data = load_arrays_weights_only(path)
    except Exception as e:
        raise ValueError(f"la_file {path}: not a torch file of {{scene name: point indices}} ({e})") from e
    if not isinstance(data, dict) or not data:
        raise ValueError(f"la_file {path}: expected a non-empty dict {{scene name: point indices}}, got {data!r:.80}")
    labelled = {}
    for name, index in data.items():
        index = index.numpy() if torch.is_tensor(index) else np.asarray(index)
        if not isinstance(name, str) or index.ndim != 1 or not np.issubdtype(index.dtype, np.integer):
            raise ValueError(
                f"la_file {path}: entry {name!r} must map a scene name to 1-D integer indices, got "
                f"{index.dtype} array of shape {index.shape}"
            )
        if index.size and index.min() < 0:
            raise ValueError(f"la_file {path}: scene {name!r} lists a negative point index ({index.min()})")
        labelled[name] = np.unique(index).astype(np.int64)
    return labelled


def read_lr_file(path: str) -> list[str]:
    """The scene names of an LR file, in order; ValueError when it is empty or repeats a name."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"lr_file {os.path.abspath(path)} does not exist; tools/data_efficient.py writes one")
    with open(path) as f:
        names = f.read().split()
    if not names:
        raise ValueError(f"lr_file {path} lists no scene")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"lr_file {path} lists scenes more than once: {repeated}")
    return names


def limit_annotations(segment: np.ndarray, labelled: np.ndarray, ignore_index: int, where: str) -> np.ndarray:
    """`segment` with every label outside `labelled` set to `ignore_index` (a new array)."""
    if labelled.size and labelled.max() >= len(segment):
        raise ValueError(
            f"{where}: the la_file lists point index {labelled.max()} but the scene has {len(segment)} points"
        )
    limited = np.full_like(segment, ignore_index)
    limited[labelled] = segment[labelled]
    return limited


def draw_labelled_points(segment: np.ndarray, count: int, rng: np.random.Generator, ignore_index: int = -1):
    """`count` point indices drawn without replacement among the points that carry a label (sorted, int64); all of
    them when the scene has fewer."""
    if count < 1:
        raise ValueError(f"count of labelled points per scene must be >= 1, got {count}")
    candidates = np.flatnonzero(segment != ignore_index)
    if len(candidates) <= count:
        return candidates.astype(np.int64)
    return np.sort(rng.choice(candidates, count, replace=False)).astype(np.int64)


def room_of(name: str) -> str:
    """The room a scan belongs to: `scene0003_01` -> `scene0003`; any other name is its own room."""
    match = RESCAN.match(name)
    return match.group(1) if match else name


def draw_scenes(
    names: Sequence[str], rng: np.random.Generator, fraction: float | None = None, rooms: int | None = None
) -> list[str]:
    """Whole rooms in a seeded random order: `rooms` of them, or rooms until `fraction` of the scenes (at least one
    scene) are in. Re-scans of a room always come together. Returns the chosen scene names, sorted."""
    if (fraction is None) == (rooms is None):
        raise ValueError(f"give exactly one of fraction and rooms, got fraction={fraction} rooms={rooms}")
    by_room: dict[str, list[str]] = {}
    for name in sorted(names):
        by_room.setdefault(room_of(name), []).append(name)
    order = [list(by_room)[i] for i in rng.permutation(len(by_room))]
    if rooms is not None:
        if not 1 <= rooms <= len(by_room):
            raise ValueError(f"rooms must be in 1..{len(by_room)} (the rooms of the split), got {rooms}")
        return sorted(n for room in order[:rooms] for n in by_room[room])
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction of scenes must be in (0, 1], got {fraction}")
    target, chosen = max(1, math.ceil(fraction * len(names))), []
    for room in order:
        if len(chosen) >= target:
            break
        chosen += by_room[room]
    return sorted(chosen)


def write_la_file(labelled: dict[str, np.ndarray], path: str) -> None:
    """Atomically, as `{scene name: int64 tensor}` (loadable with `weights_only=True`)."""
    atomic_save({name: torch.as_tensor(index, dtype=torch.int64) for name, index in labelled.items()}, path)


def write_lr_file(names: Sequence[str], path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(name + "\n" for name in names))
    os.replace(tmp, path)
