"""A name -> class registry that builds objects from `dict(type=..., **kwargs)` configs (Pointcept's protocol)."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Mapping
from typing import Any


class Registry:
    """Maps type names to classes or functions; `build(cfg)` pops `type` and calls it with the remaining keys."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.module_dict: dict[str, Callable] = {}

    def __len__(self) -> int:
        return len(self.module_dict)

    def __contains__(self, key: str) -> bool:
        return key in self.module_dict

    def __repr__(self) -> str:
        return f"Registry(name={self.name}, items={sorted(self.module_dict)})"

    def get(self, key: str) -> Callable | None:
        return self.module_dict.get(key)

    def register_module(self, name: str | None = None, force: bool = False, module: Callable | None = None):
        """Register `module` (or the decorated class/function) under `name` (default: its `__name__`)."""

        def _register(obj: Callable) -> Callable:
            key = name if name is not None else obj.__name__
            if key in self.module_dict and not force and self.module_dict[key] is not obj:
                raise KeyError(f"{key} is already registered in {self.name}; pass force=True to replace it")
            self.module_dict[key] = obj
            return obj

        if module is not None:
            return _register(module)
        return _register

    def build(self, cfg: Mapping, default_args: Mapping | None = None) -> Any:
        if not isinstance(cfg, Mapping):
            raise TypeError(f"{self.name}: a config must be a dict with a 'type' key, got {type(cfg).__name__}")
        args = dict(copy.deepcopy(dict(cfg)))
        for key, value in (default_args or {}).items():
            args.setdefault(key, value)
        if "type" not in args:
            raise KeyError(f"{self.name}: config has no 'type' key; keys given: {sorted(args)}")
        obj_type = args.pop("type")
        obj_cls = obj_type if callable(obj_type) else self.module_dict.get(obj_type)
        if obj_cls is None:
            close = difflib.get_close_matches(str(obj_type), self.module_dict, n=3, cutoff=0.5)
            hint = f"; did you mean {close}?" if close else ""
            raise KeyError(
                f"'{obj_type}' is not registered in {self.name}{hint} Registered: {sorted(self.module_dict)}"
            )
        try:
            return obj_cls(**args)
        except TypeError as e:
            name = getattr(obj_cls, "__name__", str(obj_type))
            raise TypeError(f"{name}: {e}") from e
