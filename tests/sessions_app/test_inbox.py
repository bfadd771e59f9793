"""A socket's inbox: run events reach it without waiting on the database thread, and a socket too busy to take
them loses none: what its full inbox dropped comes from the run log, once each and in order. A socket that ends
however it ends leaves the run feed."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from navi_project import events as ev
from sessions_app import inbox
from sessions_app.feed import RedisFeed, run_feed
from sessions_app.runlog import publish, run_log
from tests.sessions_app.test_consumer import open_socket, ws_app
from tests.sessions_app.test_consumer_runs import events_until, running_run

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _hold_the_database_thread(seconds: float) -> asyncio.Task:
    """The one thread that database calls share, kept busy (as by a slow query elsewhere in the process)."""
    return asyncio.create_task(sync_to_async(time.sleep)(seconds))


async def _started(sid: str, run_id: str):
    await run_log().append(run_id, json.dumps(ev.stream_start()), False)
    ws = await open_socket(sid)
    assert [(await ws.receive_json_from())["type"] for _ in range(3)] == ["stream_start", "replay_start", "replay_end"]
    return ws


async def test_run_events_and_frames_that_need_no_database_are_handled_while_its_thread_is_busy():
    sid, run_id = await running_run()
    ws = await _started(sid, run_id)
    held = _hold_the_database_thread(2.0)
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await publish(session_id=sid, run_id=run_id, text=json.dumps(ev.stream_delta("quick")), final=False)
    assert await ws.receive_json_from(timeout=1.5) == ev.stream_delta("quick")
    await ws.send_json_to({"type": "bogus"})  # refused without a look at the database
    assert (await ws.receive_json_from(timeout=1.5))["type"] == "error"
    assert time.monotonic() - started < 1.5 and not held.done()
    await held
    await ws.disconnect()


async def test_events_a_full_inbox_dropped_come_from_the_log_once_each_in_order(settings, monkeypatch, caplog):
    monkeypatch.setattr(inbox, "INBOX_CAPACITY", 5)
    caplog.set_level(logging.WARNING, logger="sessions_app.inbox")
    settings.NAVI_HEARTBEAT_SECONDS = 0.3
    sid, run_id = await running_run()
    ws = await _started(sid, run_id)
    # The socket's next heartbeat asks it to look at its run, a database call: it waits, busy, while 30 events
    # arrive, of which its inbox keeps the first 5.
    held = _hold_the_database_thread(1.5)
    await asyncio.sleep(0.6)
    words = [f"w{n} " for n in range(30)]
    for word in words:
        await publish(session_id=sid, run_id=run_id, text=json.dumps(ev.stream_delta(word)), final=False)
    await held
    end = ev.stream_end("".join(words), context_tokens=1, max_context_tokens=2, elapsed_seconds=0.1,
                        tool_call_count=0, token_count=30)  # fmt: skip
    await publish(session_id=sid, run_id=run_id, text=json.dumps(end), final=True)
    shown = await events_until(ws, "stream_end")
    assert [e.get("delta") for e in shown[:-1]] == words
    assert shown[-1] == end
    assert [r.getMessage() for r in caplog.records].count(
        "SessionConsumer: its inbox is full; run events are dropped until it drains"
    ) == 1  # fmt: skip
    await ws.disconnect()


def _subscribers(session_id: str) -> set:
    feed = run_feed()
    here = feed._here() if isinstance(feed, RedisFeed) else feed
    return set(here._subscribers.get(session_id, ()))


async def test_a_socket_ended_without_its_disconnect_leaves_the_feed_at_once():
    # As a server cancels a consumer still busy past its close timeout, or at shutdown.
    sid, run_id = await running_run()
    ws = await _started(sid, run_id)
    assert len(_subscribers(sid)) == 1
    ws.future.cancel()
    with pytest.raises(asyncio.CancelledError):
        await ws.future
    assert _subscribers(sid) == set()


async def test_a_socket_whose_connect_failed_after_subscribing_leaves_the_feed(monkeypatch):
    sid, run_id = await running_run()

    async def log_unreachable(*args, **kwargs):
        raise ConnectionError("the run log did not answer")

    monkeypatch.setattr(run_log(), "read", log_unreachable)
    ws = WebsocketCommunicator(ws_app(), f"/ws/sessions/{sid}")
    await ws.connect()
    with pytest.raises(ConnectionError):
        await ws.future
    assert _subscribers(sid) == set()
