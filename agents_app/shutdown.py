"""Closing a runner process's MCP connections on a clean shutdown (SIGTERM or SIGINT).

A stdio server ends when the SDK closes its stdin, and is terminated if it does not; a process that simply dies
leaves a server that does not watch its stdin running. `runworker` stops on its own signal handlers
(`AgentWorker`), and a signal that comes while it starts is held until it serves (`hold_stop_signals`); daphne
stops its reactor, whose shutdown waits for the close (`close_at_reactor_shutdown`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from sessions_app.layer_outages import OutageTolerantWorker

logger = logging.getLogger(__name__)

CLOSE_TIMEOUT = 15.0  # the SDK gives each stdio server 2 s to end, then terminates and kills its process tree


async def mcp_connections_close() -> None:
    if "agents_app.mcp.pool" not in sys.modules:
        return  # no run ever used an MCP server here: the SDK (tens of MB) was never loaded, and is not now
    from agents_app.mcp.pool import close_mcp_pool

    try:
        await asyncio.wait_for(close_mcp_pool(), CLOSE_TIMEOUT)
    except TimeoutError:
        logger.warning("MCP connections did not close within %g s", CLOSE_TIMEOUT)


_held_signals: list[int] = []


def hold_stop_signals() -> None:
    """Keep a SIGTERM or SIGINT that comes while `runworker` starts, for the worker to act on once it serves.

    Loading the application lists the MCP servers' tools, which starts each stdio server and takes seconds; a
    signal in that time would otherwise kill the process with the default action and leave a server running."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda received, _frame: _held_signals.append(received))


class AgentWorker(OutageTolerantWorker):
    """`runworker`'s worker: SIGTERM and SIGINT stop the listeners, then the MCP connections are closed. A
    channel-layer outage does not stop it: its runs go on, their events held until the layer is back."""

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        loop, serving = asyncio.get_running_loop(), asyncio.current_task()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, serving.cancel)
        try:
            if _held_signals:
                raise asyncio.CancelledError  # stopped while it started: it ends now, as cleanly as later
            await self.arun()
        except asyncio.CancelledError:
            logger.info("worker stopping")
        finally:
            await mcp_connections_close()  # the runs still going are cancelled after this, as asyncio.run ends


def close_at_reactor_shutdown() -> None:
    """Under daphne (a Twisted reactor on this asyncio loop), close the connections before the reactor stops."""
    if "twisted.internet.reactor" not in sys.modules:  # importing it would install a reactor
        return
    from twisted.internet import defer, reactor

    if not reactor.running:
        return

    def close():
        return defer.Deferred.fromFuture(asyncio.ensure_future(mcp_connections_close()))

    reactor.addSystemEventTrigger("before", "shutdown", close)
