"""Python config files in Pointcept's format: module-level variables, `_base_` inheritance, `--options` overrides."""

from __future__ import annotations

import argparse
import importlib
import os
import pprint
import runpy
import types
from collections.abc import Mapping
from typing import Any

from addict import Dict

from ..utils.options import parse_option_value

BASE_KEY = "_base_"
DELETE_KEY = "_delete_"


class ConfigDict(Dict):
    """An attribute-access dict that raises on missing keys instead of silently creating them (addict's default)."""

    def __missing__(self, name):
        raise KeyError(name)

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"config has no key '{name}'; it has: {sorted(self.keys())}") from None


def _to_plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_plain(v) for v in value)
    return value


def merge_into(child: Mapping, base: dict) -> dict:
    """Recursively merge `child` over `base`; a child dict with `_delete_=True` replaces instead of merging.

    As in Pointcept, a child dict may not silently replace a base value that is not a dict (e.g. `crop=None`):
    that needs `_delete_=True`, so that configs load the same under both hosts.
    """
    merged = dict(base)
    for key, value in child.items():
        if isinstance(value, Mapping):
            value = dict(value)
            replace = value.pop(DELETE_KEY, False)
            if not replace and key in merged:
                if not isinstance(merged[key], Mapping):
                    raise TypeError(
                        f"{key}={value} in the child config cannot inherit from the base, where {key} is "
                        f"{type(merged[key]).__name__}; add _delete_=True to replace it"
                    )
                merged[key] = merge_into(value, dict(merged[key]))
                continue
        merged[key] = value
    return merged


def _is_config_value(name: str, value: Any) -> bool:
    if name.startswith("__"):
        return False
    return not isinstance(value, (types.ModuleType, types.FunctionType, type))


def file_to_dict(path: str) -> dict:
    """Execute a config file and return its variables, with every `_base_` file merged underneath."""
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.isfile(path):
        raise FileNotFoundError(f"config file not found: {path}")
    if not path.endswith(".py"):
        raise ValueError(f"config files are python files (*.py), got {path}")
    namespace = runpy.run_path(path)
    cfg = {k: v for k, v in namespace.items() if _is_config_value(k, v)}
    bases = cfg.pop(BASE_KEY, [])
    bases = [bases] if isinstance(bases, str) else list(bases)
    merged: dict = {}
    for base in bases:
        base_cfg = file_to_dict(os.path.join(os.path.dirname(path), base))
        overlap = set(merged) & set(base_cfg)
        if overlap:
            raise KeyError(f"{path}: base configs define the same keys {sorted(overlap)}; keep each key in one base")
        merged.update(base_cfg)
    return merge_into(cfg, merged)


class Config(ConfigDict):
    """A loaded config; `Config.fromfile(path)` mirrors Pointcept's entry point."""

    @staticmethod
    def fromfile(path: str, import_custom_modules: bool = True) -> Config:
        cfg = Config(file_to_dict(path))
        if import_custom_modules and "custom_imports" in cfg:
            import_custom(cfg.custom_imports)
        return cfg

    def merge_from_dict(self, options: Mapping[str, Any]) -> None:
        """Set dotted keys, e.g. `{"model.backbone.enc_depths": (1, 1)}`; integer parts index into lists."""
        for dotted, value in options.items():
            *parents, last = dotted.split(".")
            node: Any = self
            for i, part in enumerate(parents):
                if isinstance(node, list):
                    node = node[int(part)]
                    continue
                if part not in node:
                    node[part] = ConfigDict()
                node = node[part]
                if not isinstance(node, (Mapping, list)):
                    raise KeyError(
                        f"option '{dotted}': '{'.'.join(parents[: i + 1])}' is a {type(node).__name__}, not a dict"
                    )
            if isinstance(node, list):
                node[int(last)] = value
            else:
                node[last] = value

    @property
    def pretty_text(self) -> str:
        return "\n".join(f"{k} = {pprint.pformat(v, sort_dicts=False)}" for k, v in _to_plain(self).items())

    def dump(self, path: str) -> None:
        """Write a config file that `fromfile` reads back to the same values."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            f.write(self.pretty_text + "\n")


def import_custom(custom_imports: Mapping) -> None:
    """Import `custom_imports.imports` so their registrations exist (Pointcept's `custom_imports` key)."""
    names = custom_imports.get("imports", [])
    names = [names] if isinstance(names, str) else names
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            if not custom_imports.get("allow_failed_imports", False):
                raise


class DictAction(argparse.Action):
    """argparse action for `--options a.b=1 c=x` -> `{"a.b": 1, "c": "x"}`."""

    def __call__(self, parser, namespace, values, option_string=None):
        options = {}
        for item in values:
            if "=" not in item:
                raise argparse.ArgumentError(self, f"expected key=value, got {item!r}")
            key, value = item.split("=", 1)
            options[key] = parse_option_value(value)
        setattr(namespace, self.dest, options)
