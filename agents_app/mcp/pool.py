"""The connections of one runner process: one per server, opened on first use, opened again after a crash.

Connections belong to the event loop they were opened on (a runner process has one); a pool made on another
loop (tests start one per test) starts empty.
"""

from __future__ import annotations

import asyncio
import logging

from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED

from agents_app.engine.tools import ToolError, ToolResult
from agents_app.mcp.config import ServerConfig
from agents_app.mcp.connection import Connection, reason
from agents_app.mcp.results import tool_result

logger = logging.getLogger(__name__)

PING_TIMEOUT = 5.0


class McpPool:
    def __init__(self, servers: dict[str, ServerConfig]) -> None:
        self._servers = servers
        self._connections: dict[str, Connection] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def connection(self, server: str) -> Connection | None:
        """The open connection to `server`, if there is one (for tests and diagnostics)."""
        found = self._connections.get(server)
        return found if found is not None and not found.closed else None

    async def _live(self, server: str) -> Connection:
        lock = self._locks.setdefault(server, asyncio.Lock())
        async with lock:  # calls racing to a server that is not up start it once
            found = self._connections.get(server)
            if found is not None and not found.closed and not await self._answers(found):
                logger.warning("MCP server %s stopped answering; starting it again", server)
                await found.close()
                found = None
            if found is None or found.closed:
                found = Connection(self._servers[server])
                try:
                    await found.open()
                except Exception as exc:
                    raise ToolError(f"MCP server {server!r} could not be started: {reason(exc)}") from None
                self._connections[server] = found
            return found

    async def _answers(self, connection: Connection) -> bool:
        # A stdio server killed while idle is only noticed by talking to it; HTTP calls fail on their own.
        if connection.config.transport != "stdio":
            return True
        try:
            await asyncio.wait_for(connection.session.send_ping(), PING_TIMEOUT)
        except Exception:
            return False
        return True

    async def call(self, server: str, tool: str, arguments: dict) -> str | ToolResult:
        """The tool's result (agents_app.mcp.results); a failure of the tool, the server or the connection raises ToolError."""
        if server not in self._servers:
            raise ToolError(f"MCP server {server!r} is not configured")
        connection = await self._live(server)
        try:
            result = await connection.session.call_tool(tool, arguments)
        except MCPError as exc:
            if exc.error.code == CONNECTION_CLOSED:
                await connection.close()
                raise ToolError(
                    f"MCP server {server!r} closed the connection during the call (it will be started again "
                    "for the next one)"
                ) from None
            raise ToolError(f"MCP server {server!r}: {exc.error.message}") from None
        except (asyncio.CancelledError, ToolError):
            raise
        except Exception as exc:  # the transport failed: a dead HTTP server, a broken pipe
            await connection.close()
            raise ToolError(f"MCP server {server!r} failed: {reason(exc)}") from None
        return tool_result(result)

    async def close(self) -> None:
        connections, self._connections = list(self._connections.values()), {}
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)


_pools: dict[int, McpPool] = {}


def mcp_pool(servers: dict[str, ServerConfig]) -> McpPool:
    """The pool of the running event loop."""
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _pools:
        _pools.clear()  # an earlier loop is gone, and its connections with it
        _pools[loop_id] = McpPool(servers)
    return _pools[loop_id]


async def close_mcp_pool() -> None:
    """Close the running loop's connections (at shutdown, and between tests)."""
    pool = _pools.pop(id(asyncio.get_running_loop()), None)
    if pool is not None:
        await pool.close()
