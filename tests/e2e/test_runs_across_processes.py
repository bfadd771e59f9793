"""Runs seen from the outside: replay on another front end, stop from anywhere, a runner that dies."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings

from tests.e2e.client import connect, new_session, rest, types
from tests.fakes.fake_ollama import script

pytestmark = pytest.mark.asyncio


async def test_reconnecting_on_another_front_end_mid_run_replays_each_event_exactly_once(live):
    sid = new_session(live.url)
    words = " ".join(f"word{i}" for i in range(40))
    first = await connect(live.ws_url(live.url, sid))
    assert (await first.next())["type"] == "session_sync"
    await first.message("tell me " + script({"thinking": "Plan the words.", "content": words, "delay": 0.04}))
    await first.until("stream_delta")
    await asyncio.sleep(0.5)
    await first.close()

    second = await connect(live.ws_url(live.other_url(), sid))
    assert (await second.next()) == {"type": "stream_start", "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES}
    replay = await second.next()
    assert replay["type"] == "replay_start" and replay["count"] >= 3
    replayed = [await second.next() for _ in range(replay["count"])]
    assert (await second.next()) == {"type": "replay_end"}
    live_events = await second.until("stream_end")
    assert (await second.next()) == {"type": "session_sync"}
    everything = replayed + live_events
    assert types(everything)[:2] == ["thinking_delta", "thinking_end"]
    assert "".join(e["delta"] for e in everything if e["type"] == "stream_delta") == words
    assert live_events[-1]["content"] == words
    await second.close()


async def test_stop_sent_to_one_front_end_stops_the_run_wherever_it_runs(live):
    sid = new_session(live.url)
    ws = await connect(live.ws_url(live.url, sid))
    await ws.next()
    await ws.message("long " + script({"content": " ".join(["tick"] * 200), "delay": 0.05}))
    events = await ws.until("stream_delta")
    with rest(live.other_url()) as api:
        assert api.post(f"/sessions/{sid}/stop").json() == {"ok": True}
    events += await ws.until("stream_stopped", timeout=10)
    streamed = "".join(e["delta"] for e in events if e["type"] == "stream_delta")
    with rest(live.url) as api:
        messages = api.get(f"/sessions/{sid}").json()["messages"]
    assert messages[-1]["role"] == "assistant" and 0 < len(messages[-1]["content"]) < 1000
    assert messages[-1]["content"] == streamed
    await ws.close()


async def test_a_runner_killed_mid_run_leaves_the_session_usable(live):
    sid = new_session(live.url)
    ws = await connect(live.ws_url(live.url, sid))
    await ws.next()
    await ws.message("doomed " + script({"content": " ".join(["slow"] * 400), "delay": 0.05}))
    await ws.until("stream_delta")
    await asyncio.sleep(3)  # past a runner heartbeat, which saves the answer so far
    if live.uses_workers:
        # Either worker may hold the run: kill both, then bring one back.
        live.kill("worker-1")
        live.kill("worker-2")
        live.start_worker("worker-3")
        failure = await ws.until("error", timeout=30)  # found dead by the socket's heartbeat check
        assert "interrupted" in failure[-1]["message"]
        await ws.message("are you back?")
        events = await ws.until("stream_end", timeout=30)
        assert events[-1]["content"] == "Echo: are you back?"
        await ws.close()
    else:
        # The embedded runner lives in the server process: kill it and start the server again. The socket's unread
        # deltas fill its receive queue, so it never reads the server's close frame and gives up on the handshake
        # after its close timeout (10 s by default): one second is as good.
        ws.ws.close_timeout = 1
        await ws.close()
        live.kill("front-1")
        live.front_ends.remove(live.url)
        live.start_front_end("front-again")
        live.wait_ready()
        again = await connect(live.ws_url(live.url, sid))
        assert (await again.next()) == {"type": "session_sync", "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES}
        await again.message("are you back?")
        events = await again.until("stream_end", timeout=30)
        assert events[-1]["content"] == "Echo: are you back?"
        await again.close()
    with rest(live.url) as api:
        messages = api.get(f"/sessions/{sid}").json()["messages"]
    assert [m["role"] for m in messages][-2:] == ["user", "assistant"]
    assert any(m["role"] == "assistant" and (m["content"] or "").startswith("slow") for m in messages)
