"""The Navi side of `make bench` (bench/run.py): streams read through a server's WebSocket, and what they cost.

Every reading counts the WebSocket messages the client received, so the caller can put them per streamed token.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.client import connect
from tests.fakes.fake_ollama import script


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class Frames:
    """WebSocket messages received, across the sockets of one reading."""

    count: int = 0


def new_sessions(base: str, count: int, profile_id: str = "secretary") -> list[str]:
    with httpx.Client(base_url=base, timeout=30) as client:
        out = []
        for _ in range(count):
            response = client.post("/sessions", json={"profile_id": profile_id})
            response.raise_for_status()
            out.append(response.json()["session_id"])
        return out


async def navi_first_token(servers, samples: int) -> tuple[list[float], list[float]]:
    """Conversations of up to 10 exchanges: a new session every 10 messages."""
    ws = None
    first_event, first_token = [], []
    for i in range(samples + 2):
        if i % 10 == 0:
            if ws:
                await ws.close()
            ws = await connect(servers.ws_url(servers.url, new_sessions(servers.url, 1)[0]))
            await ws.next()
        started = time.perf_counter()
        await ws.message("hi " + script({"content": "Hello there"}))
        start = await ws.until("stream_start")
        t_start = time.perf_counter()
        await ws.until("stream_delta")
        t_token = time.perf_counter()
        await ws.until("stream_end")
        if start:
            first_event.append(t_start - started)
            first_token.append(t_token - started)
    await ws.close()
    return first_event[2:], first_token[2:]  # the first runs warm caches (model info, connections)


async def navi_rate(servers, tokens: int, frames: Frames) -> tuple[float, bool]:
    """Tokens per second from the message sent to the last delta received: the first token's wait counts, as it
    does in bench.run.direct_rate."""
    ws = await connect(servers.ws_url(servers.url, new_sessions(servers.url, 1)[0]))
    await ws.next()
    started = time.perf_counter()
    await ws.message(script({"tokens": tokens}))
    text = []
    while True:
        event = await ws.next(60)
        frames.count += 1
        if event["type"] == "stream_delta":
            text.append(event["delta"])
            elapsed = time.perf_counter() - started
        elif event["type"] == "stream_end":
            break
    await ws.close()
    joined = "".join(text)
    return joined.count("tok") / elapsed, joined == event["content"]


async def _one_stream(
    servers, base: str, sid: str, tokens: int, delay: float, lags: list, firsts: list, frames: Frames
):
    ws = await connect(servers.ws_url(base, sid))
    await ws.next()
    sent = time.time()
    await ws.message(script({"tokens": tokens, "stamp": True, "delay": delay}))
    parts = []
    while True:
        event = await ws.next(120)
        now = time.time()
        frames.count += 1
        if event["type"] == "stream_delta":
            if not parts:
                firsts.append(now - sent)
            parts.append(event["delta"])
            for piece in event["delta"].split():
                lags.append(now - float(piece.strip("<>")))
        elif event["type"] in ("stream_end", "error", "stream_stopped"):
            break
    await ws.close()
    if event["type"] != "stream_end":
        return f"ended with {event['type']}: {event.get('message', '')}"
    if "".join(parts) != event["content"] or not parts:
        return f"deltas ({len(''.join(parts))} chars) differ from stream_end.content ({len(event['content'])} chars)"
    return True


@dataclass
class LoadResult:
    sessions: int
    intact: int
    errors: list[str]
    lags: list[float]
    firsts: list[float]  # from each message sent to its first delta: the run's start under the load
    frames: int
    wall_s: float
    extra: dict = field(default_factory=dict)

    def lag_ms(self, p: float) -> float:
        return pct(self.lags, p) * 1000 if self.lags else float("nan")

    def first_ms(self, p: float) -> float:
        return pct(self.firsts, p) * 1000 if self.firsts else float("nan")


async def concurrent(servers, sessions: int, tokens: int, delay: float) -> LoadResult:
    bases = [servers.front_ends[i % len(servers.front_ends)] for i in range(sessions)]
    ids = new_sessions(servers.url, sessions)
    lags: list[float] = []
    firsts: list[float] = []
    frames = Frames()
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            _one_stream(servers, base, sid, tokens, delay, lags, firsts, frames)
            for base, sid in zip(bases, ids, strict=True)
        ),
        return_exceptions=True,
    )
    return LoadResult(
        sessions=sessions,
        intact=sum(1 for r in results if r is True),
        errors=sorted({repr(r) if isinstance(r, BaseException) else r for r in results if r is not True})[:3],
        lags=lags,
        firsts=firsts,
        frames=frames.count,
        wall_s=time.perf_counter() - started,
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def idle_sockets_rss(servers, per_front_end: int, settle: float = 2.0) -> list[tuple[float, float]]:
    """Each front end's RSS (MB) before and with `per_front_end` sockets open and idle (each told session_sync)."""
    pids = [servers.processes[name].pid for name in sorted(servers.processes) if name.startswith("front")]
    before = [rss_mb(pid) for pid in pids]
    ids = new_sessions(servers.url, per_front_end)
    sockets = []
    try:
        for base in servers.front_ends:
            for start in range(0, per_front_end, 50):  # in batches: a burst of handshakes overflows the backlog
                batch = await asyncio.gather(*(connect(servers.ws_url(base, sid)) for sid in ids[start : start + 50]))
                await asyncio.gather(*(ws.next() for ws in batch))
                sockets += batch
        await asyncio.sleep(settle)
        return list(zip(before, [rss_mb(pid) for pid in pids], strict=True))
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
