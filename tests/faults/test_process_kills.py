"""`kill -9` of the processes a run passes through: the worker that runs it, the front end a client watches on."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from tests.e2e.client import connect, new_session
from tests.e2e.services import holds_connection_to
from tests.faults.watch import (
    SLOW_WORDS,
    answers,
    assert_partial_kept,
    session_is_usable,
    streamed_text,
    streaming,
    told,
)

pytestmark = pytest.mark.asyncio


async def test_a_worker_killed_mid_run_fails_the_run_for_every_socket_and_keeps_the_partial_answer(
    fault_servers, fake_process
):
    servers = fault_servers()
    fake_process.restart()  # drops start-up keep-alive connections: only the run's worker will hold one
    sid = new_session(servers.url)
    sockets = await streaming(servers, sid)
    if servers.uses_workers:
        holders = [n for n, p in servers.workers().items() if holds_connection_to(p.pid, fake_process.port)]
        assert len(holders) == 1, holders
        servers.kill(holders[0])
        # The survivor stays up; the socket heartbeat check finds the run stale and fails it.
        for ws in sockets:
            end = await told(ws, timeout=30)
            assert end is not None and end["type"] == "error" and "interrupted" in end["message"]
        assert_partial_kept(servers.url, sid, streamed_text(sockets[0]))
        await asyncio.gather(*(ws.close() for ws in sockets))
    else:
        # The embedded runner lives in the server process: killing it kills the server, which starts again.
        servers.kill("front-1")
        for ws in sockets:
            assert await told(ws, timeout=10) is None
        servers.restart("front-1")
        again = await connect(servers.ws_url(servers.url, sid))
        assert (await again.next())["type"] == "session_sync"  # the run was failed as an orphan at start
        await again.close()
        assert_partial_kept(servers.url, sid, streamed_text(sockets[0]))
    await session_is_usable(servers, sid)


async def test_a_front_end_killed_mid_run_loses_nothing_for_a_client_that_reconnects_to_another(
    fault_servers, fake_process
):
    servers = fault_servers()
    sid = new_session(servers.url)
    sockets = await streaming(servers, sid)
    servers.kill("front-1")
    dead = sockets[0]
    with pytest.raises(websockets.ConnectionClosed):
        await dead.until("stream_end", timeout=10)
    if servers.uses_workers:
        # The run lives on in its worker: the client reconnects to the other front end and sees it to its end.
        again = await connect(servers.ws_url(servers.other_url(), sid))
        assert (await again.next())["type"] == "stream_start"
        replay = await again.next()
        assert replay["type"] == "replay_start"
        events = [await again.next() for _ in range(replay["count"])]
        assert (await again.next()) == {"type": "replay_end"}
        events += await again.until("stream_end", timeout=60)
        assert (await again.next()) == {"type": "session_sync"}
        assert "".join(e.get("delta", "") for e in events if e["type"] == "stream_delta") == SLOW_WORDS
        assert events[-1]["content"] == SLOW_WORDS
        other = await told(sockets[1], timeout=60)  # the socket on the surviving front end, never interrupted
        assert other == events[-1]
        assert streamed_text(sockets[1]) == SLOW_WORDS
        assert answers(servers.other_url(), sid)[-1] == SLOW_WORDS
        await asyncio.gather(again.close(), sockets[1].close())
        servers.restart("front-1")
    else:
        # One process serves and runs: it starts again on the same port and every client reconnects there.
        servers.restart("front-1")
        clients = [await connect(servers.ws_url(servers.url, sid)) for _ in range(2)]
        for ws in clients:
            assert (await ws.next())["type"] == "session_sync"
        await clients[0].message("are you back?")
        for ws in clients:  # the socket that did not send is told of the new run too
            events = await ws.until("stream_end", timeout=30)
            assert events[0]["type"] == "stream_start" and events[-1]["content"] == "Echo: are you back?"
        await asyncio.gather(*(ws.close() for ws in clients))
        assert_partial_kept(servers.url, sid, streamed_text(dead))
    await session_is_usable(servers, sid)
