"""The run publisher over the real run log and feed (in memory, or in Redis when REDIS_URL is set)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from agents_app.publisher import FLUSH_BUDGET, FLUSH_SECONDS, LONGEST_FLUSH_SECONDS, RunPublisher, flush_window
from navi_project import events as ev
from sessions_app.runlog import run_log
from tests.feed_listener import FeedListener

pytestmark = pytest.mark.asyncio


async def test_a_fast_stream_is_coalesced_into_few_ordered_messages_that_lose_nothing():
    session_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with FeedListener(session_id) as listener:
        publisher = RunPublisher(session_id=session_id, run_id=run_id)
        publisher.emit(ev.stream_start())
        tokens = [f"t{i} " for i in range(2000)]
        for i, token in enumerate(tokens):
            publisher.emit(ev.stream_delta(token))
            if i % 100 == 0:
                await asyncio.sleep(0.002)  # a model streaming in bursts
        end = ev.stream_end(
            "".join(tokens),
            context_tokens=9,
            max_context_tokens=99,
            elapsed_seconds=1.0,
            tool_call_count=0,
            token_count=2000,
        )
        publisher.emit(end, final=True)
        await publisher.close()
        messages = await listener.drain()

    events = [json.loads(m["event"]) for m in messages]
    assert events[0]["type"] == "stream_start" and events[-1]["type"] == "stream_end"
    deltas = [e["delta"] for e in events if e["type"] == "stream_delta"]
    assert "".join(deltas) == "".join(tokens)
    assert len(deltas) < 100, f"{len(deltas)} feed messages for 2000 tokens"
    assert [m["seq"] for m in messages] == list(range(len(messages)))
    assert [m["final"] for m in messages] == [False] * (len(messages) - 1) + [True]
    logged = await run_log().read(run_id)
    assert [json.loads(e.text) for e in logged] == events


async def test_the_first_delta_is_not_held_back_by_the_flush_window():
    session_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with FeedListener(session_id) as listener:
        publisher = RunPublisher(session_id=session_id, run_id=run_id, flush_seconds=5)
        publisher.emit(ev.stream_delta("Hello"))
        first = await listener.next(1)
        assert json.loads(first["event"]) == ev.stream_delta("Hello")
        await publisher.close()


async def _live_publishers(count: int) -> list[RunPublisher]:
    publishers = [RunPublisher(session_id=str(uuid.uuid4()), run_id=str(uuid.uuid4())) for _ in range(count)]
    await asyncio.sleep(0)
    return publishers


async def test_the_flush_window_widens_with_the_runs_relayed_and_narrows_as_they_end():
    assert flush_window() == FLUSH_SECONDS
    many = await _live_publishers(int(FLUSH_BUDGET * 0.1))
    assert flush_window() == pytest.approx(max(FLUSH_SECONDS, 0.1), abs=0.002)
    more = await _live_publishers(int(FLUSH_BUDGET * LONGEST_FLUSH_SECONDS))
    assert flush_window() == LONGEST_FLUSH_SECONDS  # capped: a window never holds a token longer
    await asyncio.gather(*(p.close() for p in many + more))
    assert flush_window() == FLUSH_SECONDS


async def test_under_load_a_slow_stream_goes_out_in_fewer_messages_and_loses_nothing():
    """A stream of a token every 20 ms: alone, about one message per token past the 30 ms window; beside enough
    live runs for 200 ms windows, about one message per 10 tokens, every token there and in order."""

    async def stream(listener: FeedListener, session_id: str) -> tuple[list[str], float]:
        run_id = str(uuid.uuid4())
        publisher = RunPublisher(session_id=session_id, run_id=run_id)
        tokens = [f"t{i} " for i in range(40)]
        for token in tokens:
            publisher.emit(ev.stream_delta(token))
            await asyncio.sleep(0.02)
        await publisher.close()
        deltas = [json.loads(m["event"])["delta"] for m in await listener.drain(quiet=0.3)]
        assert "".join(deltas) == "".join(tokens)
        return deltas

    session_id = str(uuid.uuid4())
    async with FeedListener(session_id) as listener:
        alone = await stream(listener, session_id)
        others = await _live_publishers(int(FLUSH_BUDGET * 0.2))
        try:
            loaded = await stream(listener, session_id)
        finally:
            await asyncio.gather(*(p.close() for p in others))
    assert len(alone) >= 15, alone
    assert len(loaded) <= 8, loaded


async def test_a_redis_outage_mid_run_delays_events_but_loses_none_and_keeps_their_order(own_redis):
    from sessions_app import feed, runlog

    saved = runlog.run_log.instance, feed.run_feed.instance
    runlog.run_log.instance, feed.run_feed.instance = runlog.RedisRunLog(own_redis.url), feed.RedisFeed(own_redis.url)
    session_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        async with FeedListener(session_id) as listener:
            publisher = RunPublisher(session_id=session_id, run_id=run_id, flush_seconds=0)
            for n in range(5):
                publisher.emit({"type": "tool_started", "tool": "todo", "n": n})
            await asyncio.sleep(0.5)
            own_redis.kill()  # Redis goes away mid-run
            for n in range(5, 10):
                publisher.emit({"type": "tool_started", "tool": "todo", "n": n})
            await asyncio.sleep(1.0)  # the sender meets the outage and keeps trying
            own_redis.start()
            publisher.emit(ev.stream_end("done", context_tokens=1, max_context_tokens=2, elapsed_seconds=0.1,
                                         tool_call_count=0, token_count=1), final=True)  # fmt: skip
            await asyncio.wait_for(publisher.close(), 30)
            told = await listener.drain(quiet=1.0)
        entries = await runlog.run_log().read(run_id)
        assert [json.loads(e.text).get("n") for e in entries] == [*range(10), None]
        assert [e.seq for e in entries] == list(range(11))
        assert [e.final for e in entries] == [False] * 10 + [True]
        # The feed came back and said so; the events announced after it are the log's, in order.
        assert feed.RETURNED in told
        after = [m for m in told[told.index(feed.RETURNED) :] if m["type"] == "run.event"]
        assert after and [m["seq"] for m in after] == list(range(after[0]["seq"], 11))
    finally:
        runlog.run_log.instance, feed.run_feed.instance = saved


async def _a_run_whose_log_is_lost_midway(lose) -> tuple[list[dict], list]:
    """A run of 60 events, its log lost after 45 (`lose()`): every wake-up, as a socket following it live got
    them, and the log as it then stands."""
    session_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    events = [ev.stream_start(), {"type": "tool_started", "tool": "todo"}]
    events += [ev.stream_delta(f"w{n} ") for n in range(56)] + [{"type": "tool_started", "tool": "memory"}]
    woken = []
    async with FeedListener(session_id) as listener:
        publisher = RunPublisher(session_id=session_id, run_id=run_id, flush_seconds=0)
        for n, event in enumerate(events):
            if n == 45:
                await lose()
            publisher.emit(event)
            woken.append(await listener.next(10))  # one at a time: each is logged alone
        publisher.emit(ev.stream_end("".join(e.get("delta", "") for e in events), context_tokens=1,
                                     max_context_tokens=2, elapsed_seconds=0.1, tool_call_count=0, token_count=1),
                       final=True)  # fmt: skip
        woken.append(await listener.next(10))
        await asyncio.wait_for(publisher.close(), 10)
    return woken, await run_log().read(run_id)


def _assert_rebuilt_where_sockets_left_off(woken: list[dict], logged: list) -> None:
    # Sockets following live: numbers go on past the loss, so none of the later events is dropped as a repeat.
    assert [m["seq"] for m in woken] == list(range(60))
    # The log: as long as before, its last 32 events before the loss as they were, and all after it.
    assert [e.seq for e in logged] == list(range(60)) and [e.final for e in logged] == [False] * 59 + [True]
    assert [e.text for e in logged[13:]] == [m["event"] for m in woken[13:]]
    # Before them: the run's first event, the answer logged until then in one delta, and heartbeats, which
    # clients ignore; a socket that connects now replays the whole answer.
    head = [json.loads(e.text) for e in logged[:13]]
    assert head[:2] == [ev.stream_start(), ev.stream_delta("".join(f"w{n} " for n in range(11)))]
    assert {e["type"] for e in head[2:]} == {"heartbeat"}
    replayed = "".join(json.loads(e.text).get("delta", "") for e in logged)
    assert replayed == "".join(f"w{n} " for n in range(56)) == json.loads(logged[-1].text)["content"]


async def test_a_memory_log_lost_midway_is_rebuilt_where_its_sockets_left_off():
    from sessions_app import runlog

    saved, runlog.run_log.instance = runlog.run_log.instance, runlog.MemoryRunLog()

    async def lose():
        runlog.run_log.instance = runlog.MemoryRunLog()

    try:
        _assert_rebuilt_where_sockets_left_off(*await _a_run_whose_log_is_lost_midway(lose))
    finally:
        runlog.run_log.instance = saved


async def test_a_redis_log_lost_in_a_restart_midway_is_rebuilt_where_its_sockets_left_off(own_redis):
    from sessions_app import runlog

    saved, runlog.run_log.instance = runlog.run_log.instance, runlog.RedisRunLog(own_redis.url)

    async def lose():
        await asyncio.to_thread(own_redis.restart_empty)

    try:
        _assert_rebuilt_where_sockets_left_off(*await _a_run_whose_log_is_lost_midway(lose))
    finally:
        runlog.run_log.instance = saved
