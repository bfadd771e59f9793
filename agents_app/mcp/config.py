"""The servers of NAVI_MCP_CONFIG, in the `mcpServers` shape desktop MCP clients use.

Each entry is checked on its own: a bad one is reported by its name and left out, the others still load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SERVER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class ServerConfig:
    name: str
    command: str | None = None  # stdio
    args: tuple[str, ...] = ()
    env: dict = field(default_factory=dict)
    url: str | None = None  # streamable HTTP
    headers: dict = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT  # each call's limit, as a tool's `timeout`

    @property
    def transport(self) -> str:
        return "stdio" if self.command else "http"


def _strings(value, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError(f"`{what}` must map names to strings")
    return dict(value)


def parse_server(name: str, entry) -> ServerConfig:
    if not SERVER_NAME.match(name):
        raise ValueError("the name must be 1-40 letters, digits, _ or -")
    if "__" in name:
        raise ValueError("the name must not hold `__`, which separates it from its tools' names")
    if not isinstance(entry, dict):
        raise ValueError("must be a JSON object")
    command, url = entry.get("command"), entry.get("url")
    if (command is None) == (url is None):
        raise ValueError('needs either "command" (stdio) or "url" (streamable HTTP)')
    timeout = entry.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ValueError("`timeout` must be a positive number of seconds")
    if command is not None:
        args = entry.get("args", [])
        if not isinstance(command, str) or not command.strip():
            raise ValueError("`command` must be a non-empty string")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ValueError("`args` must be a list of strings")
        return ServerConfig(name, command=command, args=tuple(args), env=_strings(entry.get("env"), "env"),
                            timeout=float(timeout))  # fmt: skip
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError("`url` must be an http:// or https:// URL")
    return ServerConfig(name, url=url, headers=_strings(entry.get("headers"), "headers"), timeout=float(timeout))


def parse_servers(document: dict | None) -> tuple[dict[str, ServerConfig], dict[str, str]]:
    """The valid servers by name, and the problems of the others by name."""
    servers: dict[str, ServerConfig] = {}
    problems: dict[str, str] = {}
    for name, entry in ((document or {}).get("mcpServers") or {}).items():
        try:
            servers[name] = parse_server(name, entry)
        except ValueError as exc:
            problems[name] = str(exc)
    return servers, problems
