"""Every `type=` of a config with the registry that must resolve it: model trees -> MODELS, `data.<split>` ->
DATASETS and everything nested in a dataset (transforms, test-time voxelisation, crops, augmentations) -> TRANSFORMS,
hooks -> HOOKS, train -> TRAINERS, test -> TESTERS, optimizer / scheduler -> their builders. Used by the parity tests
under both hosts (tests/test_configs.py here, tests/integration/pointcept_checks.py under Pointcept)."""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOP_LEVEL = dict(
    model="MODELS", hooks="HOOKS", train="TRAINERS", test="TESTERS", optimizer="OPTIMIZERS", scheduler="SCHEDULERS"
)


def config_paths() -> list[str]:
    paths = glob.glob(os.path.join(ROOT, "configs", "**", "*.py"), recursive=True)
    return sorted(p for p in paths if os.sep + "_base_" + os.sep not in p)


def config_types(cfg: Mapping) -> list[tuple[str, str, str]]:
    """(registry, type name, where) for every typed dict of `cfg`."""
    found: list[tuple[str, str, str]] = []

    def walk(node, registry: str, where: str) -> None:
        if isinstance(node, Mapping):
            if isinstance(node.get("type"), str):
                found.append((registry, node["type"], where))
            inner = "TRANSFORMS" if registry in ("DATASETS", "TRANSFORMS") else registry
            for key, value in node.items():
                if key != "type":
                    walk(value, inner, f"{where}.{key}")
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                walk(value, registry, f"{where}[{i}]")

    for key, registry in TOP_LEVEL.items():
        walk(cfg.get(key), registry, key)
    for split, dataset in (cfg.get("data") or {}).items():
        if isinstance(dataset, Mapping):
            walk(dataset, "DATASETS", f"data.{split}")
    return found


def unresolved(cfg: Mapping, registries: Mapping[str, object]) -> list[str]:
    """The typed dicts whose name the given registries (name -> object with `get(name)` or a set of names) lack."""
    missing = []
    for registry, name, where in config_types(cfg):
        known = registries[registry]
        if (name not in known) if isinstance(known, (set, frozenset, dict)) else known.get(name) is None:
            missing.append(f"{where}: {registry} has no {name!r}")
    return missing
