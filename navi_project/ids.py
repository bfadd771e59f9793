"""Ids at the boundary: entry points parse a path or message id once into a UUID; services and selectors take
and return UUIDs; an id becomes a `str` only where it is rendered (JSON, channel-layer messages, log keys)."""

from __future__ import annotations

import uuid

from navi_project.errors import ApplicationError


def id_parse(value: object, *, not_found: str) -> uuid.UUID:
    """A malformed id names nothing that exists: the same 404 as a missing one (`not_found` is its message)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ApplicationError(not_found, 404) from None
