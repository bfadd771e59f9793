"""The tools of the configured MCP servers, named `<server>__<tool>`, for the process-wide tool registry.

At start-up each server is asked once for its tools (a stdio server is started for that and closed again); a
server that fails is reported by name and its tools are left out. Calls later go through the runner's pool.
"""

from __future__ import annotations

import asyncio
import re
import threading

from mcp import types

from agents_app.engine.tools import Tool, ToolContext, ToolResult
from agents_app.mcp.config import ServerConfig
from agents_app.mcp.connection import Connection, reason
from agents_app.mcp.pool import mcp_pool

SEPARATOR = "__"
GROUP_PREFIX = "mcp:"
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
DISCOVERY_TIMEOUT = 45.0


def tool_name(server: str, tool: str) -> str:
    return f"{server}{SEPARATOR}{tool}"


def _source(server: str) -> str:
    return f"{GROUP_PREFIX}{server}"


async def _list_tools(config: ServerConfig) -> list:
    connection = Connection(config)
    session = await connection.open()
    try:
        found, cursor = [], None
        while True:
            page = await session.list_tools(params=types.PaginatedRequestParams(cursor=cursor) if cursor else None)
            found.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                return found
    finally:
        await connection.close()


async def _discover(servers: dict[str, ServerConfig]) -> dict[str, list | BaseException]:
    names = list(servers)
    outcomes = await asyncio.gather(
        *(asyncio.wait_for(_list_tools(servers[n]), DISCOVERY_TIMEOUT) for n in names), return_exceptions=True
    )
    return dict(zip(names, outcomes, strict=True))


def discover(servers: dict[str, ServerConfig]) -> dict[str, list | BaseException]:
    """Each server's MCP tool list, or why it could not be had. Runs on a loop of its own, in a thread, so it
    can be called from synchronous code and from inside a running loop alike."""
    if not servers:
        return {}
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(result=asyncio.run(_discover(servers))), daemon=True)
    thread.start()
    thread.join(DISCOVERY_TIMEOUT + 15)
    if "result" not in box:
        return {name: TimeoutError("no answer at start-up") for name in servers}
    return box["result"]


def _body(servers: dict[str, ServerConfig], server: str, tool: str):
    async def run(args: dict, ctx: ToolContext) -> str | ToolResult:
        return await mcp_pool(servers).call(server, tool, args)

    return run


def _schema(raw) -> dict:
    schema = dict(raw or {})
    if schema.get("type") != "object":
        schema = {"type": "object", "properties": {}}
    return schema


def mcp_tools(servers: dict[str, ServerConfig], taken: set[str]) -> tuple[list[Tool], dict[str, str]]:
    """The tools of every server that answered, and the problems of the others by server name."""
    tools: list[Tool] = []
    problems: dict[str, str] = {}
    for server, found in discover(servers).items():
        if isinstance(found, BaseException):
            problems[server] = f"failed to start: {reason(found)}"
            continue
        skipped = []
        for mcp_tool in found:
            name = tool_name(server, mcp_tool.name)
            if not _TOOL_NAME.match(mcp_tool.name) or name in taken:
                skipped.append(mcp_tool.name)
                continue
            taken.add(name)
            tools.append(
                Tool(
                    name=name,
                    description=(mcp_tool.description or mcp_tool.title or "").strip(),
                    parameters=_schema(mcp_tool.input_schema),
                    run=_body(servers, server, mcp_tool.name),
                    timeout=servers[server].timeout,
                    source=_source(server),
                )
            )
        if skipped:
            problems[server] = f"tool(s) left out for their names: {', '.join(skipped)}"
    return tools, problems


def expand_tool_names(names, tools: list[Tool]) -> tuple[str, ...]:
    """Profile tool names with each `mcp:<server>` replaced by that server's tools, in order, once each."""
    expanded: list[str] = []
    for name in names:
        group = [t.name for t in tools if t.source == name] if name.startswith(GROUP_PREFIX) else [name]
        expanded.extend(n for n in group if n not in expanded)
    return tuple(expanded)
