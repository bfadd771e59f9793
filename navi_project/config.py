"""Reading and checking the environment: one clear line per bad value, never a traceback."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import environ


class ConfigError(Exception):
    """A configuration value that stops start-up; the message names the variable."""


def env_reader(base_dir: Path) -> environ.Env:
    env = environ.Env()
    dotenv = base_dir / ".env"
    if dotenv.is_file():
        environ.Env.read_env(str(dotenv))
    return env


def choice(env: environ.Env, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.str(name, default=default).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name}={value!r} is not one of: {', '.join(allowed)}")
    return value


def positive_number(env: environ.Env, name: str, default: float, *, integer: bool = False) -> float:
    raw = env.str(name, default=str(default))
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a {'whole ' if integer else ''}number") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be greater than zero")
    return value


def boolean(env: environ.Env, name: str, default: bool) -> bool:
    raw = env.str(name, default="1" if default else "0").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def url(env: environ.Env, name: str, default: str | None, schemes: tuple[str, ...]) -> str | None:
    value = env.str(name, default=default or "") or None
    if value is not None and value.split("://", 1)[0] not in schemes:
        raise ConfigError(f"{name}={value!r} must start with one of: {', '.join(s + '://' for s in schemes)}")
    return value


def writable_dir(name: str, path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{name}={str(path)!r} cannot be created: {exc.strerror}") from None
    return path


def readable_dir(name: str, path: Path, *, required: bool) -> Path:
    if not path.exists():
        if required:
            raise ConfigError(f"{name}={str(path)!r} does not exist")
        return path
    if not path.is_dir():
        raise ConfigError(f"{name}={str(path)!r} is not a folder")
    try:
        next(iter(path.iterdir()), None)
    except OSError as exc:
        raise ConfigError(f"{name}={str(path)!r} cannot be read: {exc.strerror}") from None
    return path


def secret_key(env: environ.Env, data_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data folder."""
    value = env.str("SECRET_KEY", default="")
    if value:
        return value
    key_file = data_dir / "secret_key"
    if key_file.is_file():
        return key_file.read_text().strip()
    value = secrets.token_urlsafe(50)
    key_file.write_text(value)
    key_file.chmod(0o600)
    return value


def public_url(env: environ.Env, name: str, default: str) -> str:
    """An http(s) base URL with a host and no path, query or fragment (the redirect URI is built on it)."""
    value = url(env, name, default, ("http", "https")) or default
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError(f"{name}={value!r} has a port that is not a number") from None
    if not parts.hostname or parts.path.strip("/") or parts.query or parts.fragment:
        raise ConfigError(f"{name}={value!r} must be a scheme and host (and port), like https://navi.example.com")
    return value.rstrip("/")


def url_host(value: str) -> str:
    return urlsplit(value).hostname or ""


def url_origin(value: str) -> str:
    """`scheme://host[:port]` of a URL, as browsers write it in the Origin header (default ports left out)."""
    parts = urlsplit(value)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{(parts.hostname or '').lower()}{port}"


def matching(env: environ.Env, name: str, default: str, pattern: str, what: str) -> str:
    value = env.str(name, default=default).strip()
    if not re.fullmatch(pattern, value):
        raise ConfigError(f"{name}={value!r} is not {what}")
    return value


def mcp_config(env: environ.Env, name: str, base_dir: Path) -> tuple[Path | None, dict]:
    """The file a variable names and its JSON object, which must hold an `mcpServers` object; unset: none."""
    import json

    raw = env.str(name, default="").strip()
    if not raw:
        return None, {}
    path = (base_dir / raw).resolve()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{name}={raw!r} cannot be read: {exc.strerror}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{name}={raw!r} is not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("mcpServers"), dict):
        raise ConfigError(f'{name}={raw!r} must be a JSON object with an "mcpServers" object')
    return path, document
