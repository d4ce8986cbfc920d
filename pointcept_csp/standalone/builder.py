"""The standalone host's registries and builders (Pointcept's names, so configs read the same under both hosts)."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from .registry import Registry

MODELS = Registry("models")
DATASETS = Registry("datasets")
TRANSFORMS = Registry("transforms")
HOOKS = Registry("hooks")
TRAINERS = Registry("trainers")
TESTERS = Registry("testers")
LOSSES = Registry("losses")


def build_model(cfg: Mapping):
    return MODELS.build(copy.deepcopy(cfg))


def build_dataset(cfg: Mapping):
    return DATASETS.build(cfg)
