"""One live connection to one MCP server: a task that opens the transport and the session, and holds them.

The SDK's transports are anyio context managers that must be left in the task that entered them, so a task of
its own owns each connection; calls from other tasks go through its session. The task ends when the connection
is closed or its transport fails, and the connection is then `closed` for good (the pool opens a new one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from agents_app.mcp.config import ServerConfig

logger = logging.getLogger(__name__)

START_TIMEOUT = 30.0  # a stdio server started through a package runner may install itself first


def reason(exc: BaseException) -> str:
    """A readable line for an error, out of the exception groups anyio wraps transport failures in."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _transport(config: ServerConfig, stack: contextlib.AsyncExitStack):
    if config.transport == "stdio":
        params = StdioServerParameters(command=config.command, args=list(config.args), env=config.env or None)
        return await stack.enter_async_context(stdio_client(params))
    client = await stack.enter_async_context(create_mcp_http_client(headers=config.headers or None))
    return await stack.enter_async_context(streamable_http_client(config.url, http_client=client))


class Connection:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.session: ClientSession | None = None
        self.closed = False
        self._closing = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def open(self) -> ClientSession:
        """Start the server (stdio) or reach it (HTTP) and complete the MCP handshake."""
        ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._own(ready), name=f"mcp-{self.config.name}")
        try:
            return await asyncio.wait_for(asyncio.shield(ready), START_TIMEOUT)
        except BaseException:
            await self.close()
            raise

    async def _own(self, ready: asyncio.Future) -> None:
        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await _transport(self.config, stack)
                session = await stack.enter_async_context(ClientSession(read, write))
                await session.initialize()
                self.session = session
                ready.set_result(session)
                await self._closing.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ConnectionError(reason(exc)))
            elif not self._closing.is_set() and not isinstance(exc, asyncio.CancelledError):
                logger.warning("MCP server %s: connection lost: %s", self.config.name, reason(exc))
            if isinstance(exc, asyncio.CancelledError) and not self._closing.is_set():
                raise
        finally:
            self.closed = True
            self.session = None

    async def close(self) -> None:
        """End the session; a stdio server's stdin is closed and the process stopped (the SDK escalates)."""
        self._closing.set()
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
            except Exception:
                pass
        self.closed = True
