"""The process-wide tool registry: built-in tools, user tools from NAVI_USER_TOOLS_DIR, and the tools of the MCP
servers of NAVI_MCP_CONFIG (agents_app.mcp).

A user tool file is a Python module that defines `Tool` values the way the built-ins do (a `TOOLS` list, or
Tool values at module level). A file that fails to import or defines nothing usable is reported by name and
skipped; the other files still load.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import re
import sys
from dataclasses import replace
from pathlib import Path

from agents_app.engine.tools import Tool, ToolRegistry, builtin_tools

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_registry: ToolRegistry | None = None
# Problems found while loading user tools, by file name, for start-up reporting.
load_problems: dict[str, str] = {}
# MCP servers left out (a bad entry, a failed start), by server name.
mcp_problems: dict[str, str] = {}
_mcp_servers: dict = {}
_mcp_down: set[str] = set()


def _import(path: Path):
    name = f"navi_user_tools.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and typing look their module up while it executes
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _declared_tools(module, builtins: set[int]) -> list:
    declared = getattr(module, "TOOLS", None)
    if declared is not None:
        return list(declared) if isinstance(declared, list | tuple) else [declared]
    # Tools imported from elsewhere (a built-in, say) are not this file's own.
    return [value for value in vars(module).values() if isinstance(value, Tool) and id(value) not in builtins]


def _problem(tool) -> str | None:
    if not isinstance(tool, Tool):
        return f"TOOLS holds {type(tool).__name__}, not a Tool"
    if not isinstance(tool.name, str) or not _NAME.match(tool.name):
        return f"tool name {tool.name!r} must be letters, digits, _ or -"
    if not isinstance(tool.parameters, dict) or tool.parameters.get("type") != "object":
        return f"tool {tool.name!r}: `parameters` must be a JSON schema of type object"
    if not inspect.iscoroutinefunction(tool.run):
        return f"tool {tool.name!r}: `run` must be an async function (args, ctx) -> str"
    if not isinstance(tool.timeout, int | float) or tool.timeout <= 0:
        return f"tool {tool.name!r}: `timeout` must be a positive number of seconds"
    return None


def load_user_tools(folder: Path | None, taken: set[str]) -> tuple[list[Tool], dict[str, str]]:
    """The valid tools of each `*.py` file in `folder` (files starting with `_` are helpers, not loaded),
    and the problems of the others by file name. Names in `taken` (the built-ins) cannot be reused."""
    tools: list[Tool] = []
    problems: dict[str, str] = {}
    if folder is None or not Path(folder).is_dir():
        return tools, problems
    builtins = {id(tool) for tool in builtin_tools()}
    names = set(taken)
    for path in sorted(Path(folder).glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            module = _import(path)
        except BaseException as exc:  # any failure of someone else's file, SystemExit included
            if isinstance(exc, KeyboardInterrupt):
                raise
            problems[path.name] = f"failed to import: {type(exc).__name__}: {exc}"
            continue
        found = _declared_tools(module, builtins)
        issues = []
        for tool in found:
            issue = _problem(tool)
            if issue is None and tool.name in names:
                issue = f"tool name {tool.name!r} is already taken"
            if issue:
                issues.append(issue)
                continue
            names.add(tool.name)
            tools.append(replace(tool, source=f"user:{path.name}"))
        if issues or not found:
            problems[path.name] = "; ".join(issues) or "defines no Tool (see docs/user-tools.md)"
    return tools, problems


def tool_registry() -> ToolRegistry:
    global _registry
    if _registry is None:
        from django.conf import settings

        builtins = builtin_tools()
        user_tools, problems = load_user_tools(settings.NAVI_USER_TOOLS_DIR, {t.name for t in builtins})
        load_problems.clear()
        load_problems.update(problems)
        for name, problem in problems.items():
            logger.warning("user tool file %s skipped: %s", name, problem)
        _registry = ToolRegistry([*builtins, *user_tools, *_load_mcp_tools({t.name for t in [*builtins, *user_tools]})])
    return _registry


def _load_mcp_tools(taken: set[str]) -> list[Tool]:
    from django.conf import settings

    from agents_app.mcp.config import parse_servers

    servers, problems = parse_servers(settings.NAVI_MCP_DOCUMENT)
    tools, failures = [], {}
    if servers:  # the MCP SDK is imported only when a server is configured: it costs tens of MB in every process
        from agents_app.mcp.tools import mcp_tools

        tools, failures = mcp_tools(servers, taken)
    _mcp_servers.clear()
    _mcp_servers.update(servers)
    _mcp_down.clear()
    _mcp_down.update(name for name, problem in failures.items() if problem.startswith("failed to start"))
    mcp_problems.clear()
    mcp_problems.update({**problems, **failures})
    for name, problem in mcp_problems.items():
        logger.warning("MCP server %s: %s", name, problem)
    if servers:
        logger.info("MCP tools loaded: %s", ", ".join(t.name for t in tools) or "none")
    return tools


class KnownToolNames:
    """What a profile may name: registered tools, `mcp:<server>` for each configured server, and any
    `<server>__<tool>` of a configured server that failed to start (its profiles load; the tool is missing)."""

    def __init__(self, registry: ToolRegistry) -> None:
        self._names = set(registry.names())
        self._down = set(_mcp_down)

    def __contains__(self, name) -> bool:
        if not isinstance(name, str):
            return False
        if name in self._names:
            return True
        if name.startswith("mcp:"):
            return name[4:] in _mcp_servers
        server, separator, _ = name.partition("__")
        return bool(separator) and server in self._down


def known_tool_names() -> KnownToolNames:
    return KnownToolNames(tool_registry())


def expand_tools(names) -> tuple[str, ...]:
    """Profile tool names with `mcp:<server>` replaced by that server's tools."""
    if not any(isinstance(name, str) and name.startswith("mcp:") for name in names):
        return tuple(dict.fromkeys(names))  # as expand_tool_names does, without loading the MCP SDK
    from agents_app.mcp.tools import expand_tool_names

    return expand_tool_names(names, tool_registry().all())


def reset_tool_registry() -> None:
    global _registry
    _registry = None
