"""The one seam between the plugin and its host: Pointcept when importable, else `pointcept_csp.standalone`.

Everything the plugin registers lands in the active host's registries, so configs, `tools/train.sh`, evaluators and
testers are the host's own. `POINTCEPT_CSP_HOST` picks the host: `auto` (default), `pointcept` or `standalone`.
No other module of the package imports `pointcept`.
"""

from __future__ import annotations

import importlib.util
import os
import warnings

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
        from pointcept.datasets.transform import TRANSFORMS, Compose
        from pointcept.engines.defaults import default_argument_parser, default_config_parser, default_setup
        from pointcept.engines.hooks.builder import HOOKS
        from pointcept.engines.hooks.default import HookBase
        from pointcept.engines.launch import launch
        from pointcept.engines.test import TESTERS
        from pointcept.engines.train import TRAINERS
        from pointcept.engines.train import Trainer as DefaultTrainer
        from pointcept.models.builder import MODELS, build_model
        from pointcept.models.losses import LOSSES, build_criteria
        from pointcept.utils.config import Config

        NAME = "pointcept"
    except ImportError as e:
        if _choice == "pointcept":
            raise ImportError(f"POINTCEPT_CSP_HOST=pointcept but Pointcept does not import: {e}") from e
        POINTCEPT_IMPORT_ERROR = e
        if importlib.util.find_spec("pointcept") is not None:
            # a Pointcept checkout is on the path but broken: the user most likely meant to run inside it
            warnings.warn(
                f"pointcept_csp: Pointcept is on the path but does not import ({e}); running on the standalone "
                f"host. Set POINTCEPT_CSP_HOST=pointcept to make this an error.",
                RuntimeWarning,
                stacklevel=2,
            )


def describe() -> str:
    """Which host is active and why (CSPTrainer logs it at start-up)."""
    if NAME == "pointcept":
        return f"host: Pointcept (POINTCEPT_CSP_HOST={_choice})"
    if _choice == "standalone":
        return "host: standalone (POINTCEPT_CSP_HOST=standalone)"
    return f"host: standalone, because Pointcept does not import: {POINTCEPT_IMPORT_ERROR}"


if NAME == "standalone":
    from .standalone import (  # noqa: F811
        DATASETS,
        HOOKS,
        LOSSES,
        MODELS,
        TESTERS,
        TRAINERS,
        TRANSFORMS,
        Compose,
        Config,
        DefaultDataset,
        HookBase,
        build_criteria,
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
    "describe",
    "Compose",
    "Config",
    "DATASETS",
    "DefaultDataset",
    "DefaultTrainer",
    "HOOKS",
    "HookBase",
    "LOSSES",
    "MODELS",
    "TESTERS",
    "TRAINERS",
    "TRANSFORMS",
    "build_criteria",
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
