"""Every config under configs/ parses through host.load_config, builds its model, and every `type=` in it resolves in
the standalone host's registries (tests/integration checks the same under Pointcept)."""

import glob
import os

import pytest

import pointcept_csp  # noqa: F401
from pointcept_csp import host
from pointcept_csp.engines.hooks import check_teacher_hooks
from pointcept_csp.utils.optim import OPTIMIZERS
from tests.helpers.common import ROOT
from tests.helpers.config_types import unresolved

CONFIGS = sorted(
    p
    for p in glob.glob(os.path.join(ROOT, "configs", "**", "*.py"), recursive=True)
    if os.sep + "_base_" + os.sep not in p
)


def test_there_are_configs():
    assert len(CONFIGS) >= 15


@pytest.mark.parametrize("path", CONFIGS, ids=[os.path.relpath(p, os.path.join(ROOT, "configs")) for p in CONFIGS])
def test_config_parses_and_builds_its_model(path):
    cfg = host.load_config(path)
    assert cfg.custom_imports["imports"] == ["pointcept_csp"]
    model = host.build_model(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    check_teacher_hooks([h["type"] for h in cfg.hooks], model)  # what CSPTrainer refuses to start without
    if "data" in cfg and "num_classes" in cfg.data and "num_classes" in cfg.model:
        assert cfg.data.num_classes == cfg.model.num_classes
    assert cfg.train.type == "CSPTrainer"


STANDALONE_SCHEDULERS = {"OneCycleLR", "CosineAnnealingLR"}


@pytest.mark.skipif(host.NAME != "standalone", reason="the standalone host's registries")
@pytest.mark.parametrize("path", CONFIGS, ids=[os.path.relpath(p, os.path.join(ROOT, "configs")) for p in CONFIGS])
def test_every_type_resolves_in_the_standalone_host(path):
    registries = dict(
        MODELS=host.MODELS,
        DATASETS=host.DATASETS,
        TRANSFORMS=host.TRANSFORMS,
        HOOKS=host.HOOKS,
        TRAINERS=host.TRAINERS,
        TESTERS=host.TESTERS,
        OPTIMIZERS=set(OPTIMIZERS),
        SCHEDULERS=STANDALONE_SCHEDULERS,
    )
    assert unresolved(host.load_config(path), registries) == []
