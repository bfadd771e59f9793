"""Secret ids handed to browsers and apps: 256 random bits, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets

# `secrets.token_urlsafe(32)`: 43 characters of the URL-safe base64 alphabet.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def secret_new() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_is_well_formed(value: object) -> bool:
    return isinstance(value, str) and _TOKEN_SHAPE.fullmatch(value) is not None
