"""Settings printed as TOML that pastes into the user's config file as it is (`chatqa explain`)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key(name: str) -> str:
    """A TOML key: bare when it can be, else quoted."""
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name)


def value(v: Any) -> str:
    """A TOML value for a JSON-like value (None has no TOML form: see `settings_table`)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return ("inf" if v > 0 else "-inf") if math.isinf(v) else "nan" if math.isnan(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key(str(k))} = {value(x)}" for k, x in v.items() if x is not None) + "}"
    return json.dumps(str(v))


def table_header(config_table: str, *names: str) -> str:
    """``[tool.chatqa.rules.NAME]`` for the table the user's file keeps its settings in
    (``tool.chatqa`` in pyproject.toml or a chatqa.toml written that way, none for a chatqa.toml
    with top-level keys)."""
    return "[" + ".".join([*filter(None, config_table.split(".")), *map(key, names)]) + "]"


def settings_table(header: str, settings: dict[str, Any]) -> list[str]:
    """`settings` under `header` as TOML lines; an unset setting (None) is a comment."""
    lines = [header]
    for name, v in settings.items():
        lines.append(f"# {key(name)} = (not set)" if v is None else f"{key(name)} = {value(v)}")
    return lines
