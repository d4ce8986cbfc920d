"""The one seam between the plugin and its host: Pointcept when importable, else `pointcept_csp.standalone`.

Everything the plugin registers lands in the active host's registries, so configs, `tools/train.sh`, evaluators and
testers are the host's own. `POINTCEPT_CSP_HOST` picks the host: `auto` (default), `pointcept` or `standalone`.
No other module of the package imports `pointcept`.
"""

from __future__ import annotations

import os

_CHOICES = ("auto", "pointcept", "standalone")
_choice = os.environ.get("POINTCEPT_CSP_HOST", "auto").lower()
if _choice not in _CHOICES:
    raise ValueError(f"POINTCEPT_CSP_HOST must be one of {_CHOICES}, got {_choice!r}")

POINTCEPT_IMPORT_ERROR: BaseException | None = None
NAME = "standalone"
if _choice != "standalone":
    try:
        from pointcept.datasets import DefaultDataset, build_dataset, collate_fn, point_collate_fn
        from pointcept.datasets.builder import DATASETS
        from pointcept.datasets.transform import TRANSFORMS
        from pointcept.engines.defaults import default_argument_parser, default_config_parser, default_setup
        from pointcept.engines.hooks.builder import HOOKS
        from pointcept.engines.hooks.default import HookBase
        from pointcept.engines.launch import launch
        from pointcept.engines.test import TESTERS
        from pointcept.engines.train import TRAINERS
        from pointcept.engines.train import Trainer as DefaultTrainer
        from pointcept.models.builder import MODELS, build_model
        from pointcept.utils.config import Config

        NAME = "pointcept"
    except ImportError as e:
        if _choice == "pointcept":
            raise ImportError(f"POINTCEPT_CSP_HOST=pointcept but Pointcept does not import: {e}") from e
        POINTCEPT_IMPORT_ERROR = e

if NAME == "standalone":
    from .standalone import (  # noqa: F811
        DATASETS,
        HOOKS,
        MODELS,
        TESTERS,
        TRAINERS,
        TRANSFORMS,
        Config,
        DefaultDataset,
        HookBase,
        build_dataset,
        build_model,
        collate_fn,
        default_argument_parser,
        default_config_parser,
        default_setup,
        launch,
        point_collate_fn,
    )
    from .standalone import Trainer as DefaultTrainer  # noqa: F811


def load_config(path: str, options: dict | None = None) -> Config:
    """Read a python config file with the host's loader (`_base_` inheritance), then apply `options` overrides."""
    cfg = Config.fromfile(path)
    if options:
        cfg.merge_from_dict(options)
    return cfg


__all__ = [
    "NAME",
    "Config",
    "DATASETS",
    "DefaultDataset",
    "DefaultTrainer",
    "HOOKS",
    "HookBase",
    "MODELS",
    "TESTERS",
    "TRAINERS",
    "TRANSFORMS",
    "build_dataset",
    "build_model",
    "collate_fn",
    "default_argument_parser",
    "default_config_parser",
    "default_setup",
    "launch",
    "load_config",
    "point_collate_fn",
]
