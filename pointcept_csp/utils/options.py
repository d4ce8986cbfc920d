"""`--options key=value ...` overrides, read the way Pointcept's command line reads them, under either host."""

from __future__ import annotations

import ast
from typing import Any


def parse_option_value(text: str) -> Any:
    """'true' -> True, 'none' -> None, '3' -> 3, '[1,2]' -> [1, 2]; anything else stays a string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_options(items: list[str]) -> dict[str, Any]:
    """`["a.b=1", "c=x"]` -> `{"a.b": 1, "c": "x"}`; an item without `=` raises naming it."""
    bad = [item for item in items if "=" not in item]
    if bad:
        raise ValueError(f"options are key=value pairs, got {bad}")
    return {key: parse_option_value(value) for key, value in (item.split("=", 1) for item in items)}
