"""A deliberately small engine speaking Pointcept's protocol, so the plugin trains and evaluates without Pointcept.

It is the CPU / CI path, not a second Pointcept: registries, python configs, the hook-driven trainer, and the
dataset readers and transforms that the project's configs use (evaluators and testers are the plugin's own,
`engines/`, and run under both hosts). Nothing here is copied from Pointcept.
"""

from . import datasets, hooks, object_datasets, transforms  # noqa: F401  (register the standard components)
from .builder import DATASETS, HOOKS, LOSSES, MODELS, TESTERS, TRAINERS, TRANSFORMS, build_dataset, build_model
from .collate import collate_fn, point_collate_fn
from .config import Config
from .criteria import build_criteria
from .datasets import DefaultDataset
from .defaults import default_argument_parser, default_config_parser, default_setup
from .hooks import HookBase
from .launch import launch
from .trainer import Trainer
from .transforms import Compose

__all__ = [
    "Compose",
    "Config",
    "DATASETS",
    "DefaultDataset",
    "HOOKS",
    "HookBase",
    "LOSSES",
    "MODELS",
    "TESTERS",
    "TRAINERS",
    "TRANSFORMS",
    "Trainer",
    "build_criteria",
    "build_dataset",
    "build_model",
    "collate_fn",
    "default_argument_parser",
    "default_config_parser",
    "default_setup",
    "launch",
    "point_collate_fn",
]
