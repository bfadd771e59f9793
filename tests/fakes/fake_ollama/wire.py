"""Reading a chat request the way Ollama binds it (api/types.go), and the error strings it answers with."""

from __future__ import annotations

import json
import math
import random
import re
import string
from dataclasses import dataclass

THINK_LEVELS = ("high", "medium", "low", "max")


class BadRequest(ValueError):
    """A body Ollama refuses while binding it: 400 with this message."""


def go_quote(text: str) -> str:
    """Go's %q of a string, near enough for model names and short values."""
    return json.dumps(text, ensure_ascii=False)


def think_value(raw: object) -> bool | None:
    """`think` as api.ThinkValue: None when left out, a level counts as true (ThinkValue.Bool)."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        if raw not in THINK_LEVELS:
            # api/types.go ThinkValue.UnmarshalJSON
            raise BadRequest(
                f'invalid think value: {go_quote(raw)} (must be "high", "medium", "low", "max", true, or false)'
            )
        return True
    raise BadRequest('think must be a boolean or string ("high", "medium", "low", "max", true, or false)')


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)([^\d.]*)")


def go_duration(text: str) -> float:
    """Go's time.ParseDuration, in seconds, with its error messages."""
    quoted = '"' + text + '"'
    body = text.lstrip("+-")
    sign = -1.0 if text.startswith("-") else 1.0
    if body == "0":
        return 0.0
    if not body:
        raise BadRequest(f"time: invalid duration {quoted}")
    total, pos = 0.0, 0
    while pos < len(body):
        part = _PART.match(body, pos)
        if not part:
            raise BadRequest(f"time: invalid duration {quoted}")
        number, unit = part.groups()
        if not unit:
            raise BadRequest(f"time: missing unit in duration {quoted}")
        if unit not in _UNITS:
            raise BadRequest(f'time: unknown unit "{unit}" in duration {quoted}')
        total += float(number) * _UNITS[unit]
        pos = part.end()
    return sign * total


def keep_alive_seconds(raw: object) -> float | None:
    """`keep_alive` as api.Duration: numbers are seconds, strings Go durations, negative means forever."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        kind = {bool: "bool", dict: "map[string]interface {}", list: "[]interface {}"}.get(type(raw), "unknown")
        raise BadRequest(f"Unsupported type: '{kind}'")  # api/types.go Duration.UnmarshalJSON
    seconds = float(raw) if not isinstance(raw, str) else go_duration(raw)
    return math.inf if seconds < 0 else seconds


def full_name(name: str) -> str:
    """A model name as types/model Name.String() writes it: registry.ollama.ai/library/NAME:latest."""
    host, namespace = "registry.ollama.ai", "library"
    parts = name.split("/")
    if len(parts) == 3:
        host, namespace, rest = parts
    elif len(parts) == 2:
        namespace, rest = parts
    else:
        rest = parts[-1]
    if ":" not in rest:
        rest += ":latest"
    return f"{host}/{namespace}/{rest}"


def tool_call_id() -> str:
    """server/routes.go toolCallId: "call_" and 8 of [a-z0-9]."""
    return "call_" + "".join(random.choices(string.ascii_lowercase + string.digits, k=8))


@dataclass(frozen=True)
class Options:
    num_ctx: int | None
    num_predict: int | None
    num_keep: int

    @classmethod
    def of(cls, raw: object) -> Options:
        options = raw if isinstance(raw, dict) else {}

        def number(key: str) -> int | None:
            value = options.get(key)
            return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

        keep = number("num_keep")
        return cls(number("num_ctx"), number("num_predict"), 4 if keep is None else keep)  # api.DefaultOptions
