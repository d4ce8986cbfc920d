"""Loading pre-trained weights into models, with prefix presets and a load report (missing AND unexpected keys).

Presets name where the backbone lives in a checkpoint:
    "pretrain" -> `backbone.`: the student of a PointCSP pre-training checkpoint, an exported backbone
                  (`tools/export_backbone.py`) or a fine-tuned SPD model (Pointcept or ours)
    "teacher"  -> `teacher.backbone.`: the EMA teacher of a PointCSP pre-training checkpoint (DINO-style teachers
                  are often the better features)
Pointcept's `module.` prefix (DDP) is stripped in every case.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from ..utils.checkpoint import model_state

PRESETS = {"pretrain": "backbone.", "teacher": "teacher.backbone."}


@dataclass
class LoadReport:
    """What a weight load did, for the log and for tests."""

    target: str
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.target}: {len(self.loaded)} tensors loaded; missing {len(self.missing)} {self.missing[:8]}; "
            f"unexpected {len(self.unexpected)} {self.unexpected[:8]}"
        )


def strip_prefix(state_dict: Mapping[str, torch.Tensor], prefix: str) -> OrderedDict:
    """Keys under `prefix` with the prefix removed, from a `utils.checkpoint.model_state`."""
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(prefix):
            out[key[len(prefix) :]] = value
    return out


def load_backbone(
    module: torch.nn.Module, path_or_state: str | Mapping, preset: str = "pretrain", target: str = "backbone"
) -> LoadReport:
    """Load the backbone weights of a checkpoint into `module`; raises when no tensor matched."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    weights_all = model_state(path_or_state if isinstance(path_or_state, str) else dict(path_or_state))
    weights = strip_prefix(weights_all, PRESETS[preset])
    own = module.state_dict()
    report = LoadReport(target)
    usable = OrderedDict()
    for key, value in weights.items():
        if key in own and own[key].shape == value.shape:
            usable[key] = value
        elif key in own:
            report.unexpected.append(f"{key} (shape {tuple(value.shape)} != {tuple(own[key].shape)})")
        else:
            report.unexpected.append(key)
    if not usable:
        raise KeyError(
            f"no tensor of the checkpoint matched {target} (preset {preset!r} looks under "
            f"'{PRESETS[preset]}'); checkpoint keys start with {sorted({k.split('.')[0] for k in weights_all})[:6]}"
        )
    module.load_state_dict(usable, strict=False)
    report.loaded = list(usable)
    report.missing = [k for k in own if k not in usable]
    return report
