"""A client's view of a run under faults: sockets on every front end, and what each was told."""

from __future__ import annotations

import asyncio

import websockets

from tests.e2e.client import Socket, connect, rest
from tests.fakes.fake_ollama import script

TERMINAL = {"stream_end", "stream_stopped", "error"}
# About 6 s at 0.04 s a word: long enough to outlast a fault and the heartbeats that find it
SLOW_WORDS = " ".join(f"w{i}" for i in range(150))
SLOW = script({"content": SLOW_WORDS, "delay": 0.04})


async def watchers(servers, sid) -> list[Socket]:
    """One socket per front end, each past its opening `session_sync`."""
    sockets = []
    for base in servers.front_ends:
        ws = await connect(servers.ws_url(base, sid))
        assert (await ws.next())["type"] == "session_sync"
        sockets.append(ws)
    return sockets


async def told(ws: Socket, timeout: float = 30) -> dict | None:
    """The terminal event this socket gets, or None when the server closed it (the client then reconnects)."""
    try:
        return (await ws.until(TERMINAL, timeout=timeout))[-1]
    except websockets.ConnectionClosed:
        return None


async def streaming(servers, sid) -> list[Socket]:
    """Sockets on every front end, watching a slow answer that has streamed past a runner heartbeat."""
    sockets = await watchers(servers, sid)
    await sockets[0].message("doomed " + SLOW)
    for ws in sockets:
        await ws.until("stream_delta")
    await asyncio.sleep(1.5)  # past a heartbeat (1 s), which saves the answer so far
    return sockets


async def all_told(sockets: list[Socket], timeout: float = 40) -> list[dict | None]:
    return list(await asyncio.gather(*(told(ws, timeout) for ws in sockets)))


def assert_partial_kept(base: str, sid: str, streamed: str) -> str:
    """The one answer of the interrupted run is what was streamed before the fault (at least its start)."""
    kept = [text for text in answers(base, sid) if text.startswith("w0")]
    assert len(kept) == 1, answers(base, sid)
    assert streamed.startswith(kept[0]) or kept[0].startswith(streamed), (streamed, kept[0])
    assert len(kept[0].split()) >= 5
    return kept[0]


def streamed_text(ws: Socket) -> str:
    return "".join(e.get("delta", "") for e in ws.received if e["type"] == "stream_delta")


def messages(base: str, sid: str) -> list[dict]:
    with rest(base) as api:
        response = api.get(f"/sessions/{sid}")
        assert response.status_code == 200, response.text
        return response.json()["messages"]


def answers(base: str, sid: str) -> list[str]:
    return [m["content"] or "" for m in messages(base, sid) if m["role"] == "assistant"]


async def session_is_usable(servers, sid, base: str | None = None) -> None:
    """The next message gets its answer, on a fresh socket, and every other front end's socket sees it end."""
    base = base or servers.url
    sockets = await watchers(servers, sid)
    sender = next(ws for ws, url in zip(sockets, servers.front_ends, strict=True) if url == base)
    await sender.message("are you back?")
    for ws in sockets:
        events = await ws.until(TERMINAL, timeout=30)
        assert (events[-1]["type"], events[-1].get("content")) == ("stream_end", "Echo: are you back?")
    await asyncio.gather(*(ws.close() for ws in sockets))
