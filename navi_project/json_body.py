"""JSON from clients, held to one set of rules wherever it comes in: plain views, DRF views and the WebSocket.

Python's `json` takes more than can be stored or answered: nesting deep enough to exhaust the stack (a
RecursionError, a 500 or a 1011), lone surrogates (`"\\ud800"`, which neither SQLite nor PostgreSQL can store and
no UTF-8 encoder writes), NUL characters (which PostgreSQL text refuses) and NaN or Infinity (not JSON). Each is
refused here with a message saying what was wrong, before anything else sees the data.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from rest_framework import exceptions, parsers

from navi_project.errors import ApplicationError, body_too_large

MAX_DEPTH = 32
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _where(path: tuple) -> str:
    return (
        "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))
        or "the top level"
    )


def _check_text(text: str, path: tuple) -> None:
    found = _BAD_TEXT.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        raise ApplicationError(f"Text at {_where(path)} holds a NUL character (\\u0000), which Navi does not store")
    raise ApplicationError(f"Text at {_where(path)} holds a lone surrogate (\\u{ord(found.group()):04x}): not Unicode")


def check_value(data: object) -> object:
    """`data` itself if it is nested at most MAX_DEPTH levels and all its text (keys too) is storable."""
    stack = [(data, (), 0)]
    while stack:  # a loop, not recursion: the point is to never run out of stack
        value, path, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise ApplicationError(f"JSON nested deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key, path)
                stack.append((item, (*path, key), depth + 1))
    return data


def json_loads(raw: str | bytes | bytearray, *, what: str = "The body") -> object:
    """Parse client JSON by the rules above; ApplicationError (400) names what was wrong."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise ApplicationError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise ApplicationError(f"{what} must be JSON in UTF-8") from None
    except ValueError as exc:
        raise ApplicationError(f"{what} must be JSON: {exc}") from None
    return check_value(data)


def _limit() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


def json_body(request, *, max_bytes: int | None = None) -> object:
    """The JSON body of a plain (non-DRF) view: `application/json` only, at most `max_bytes` (Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE unless the view takes more), parsed by `json_loads`."""
    if request.content_type != "application/json":
        shown = request.content_type or "none"
        raise ApplicationError(f"Send the body as application/json (Content-Type was {shown})", 415)
    limit = max_bytes or _limit()
    raw = request.read(limit + 1)  # read, not `body`: Django's own cap on `body` would answer a bare 400
    if len(raw) > limit:
        raise ApplicationError(body_too_large(limit), 413)
    return json_loads(raw or b"")


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The body is too large"


class StrictJSONParser(parsers.JSONParser):
    """DRF's JSON parser with the rules above (DRF's own lets a deep body raise RecursionError: a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = _limit()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(body_too_large(limit))
        try:
            return json_loads(raw)
        except ApplicationError as exc:
            raise exceptions.ParseError(exc.message) from None
