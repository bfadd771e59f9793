"""A socket through a Redis restarted empty (channel layer, run log and run feed on a Redis of the test's own): it
stays open, joins again and follows its run where it left off; a run that ended meanwhile is told at once."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
import pytest_asyncio
from channels.layers import channel_layers

from agents_app.publisher import RunPublisher
from navi_project import events as ev
from sessions_app import feed, runlog
from tests.sessions_app.test_consumer import open_socket
from tests.sessions_app.test_consumer_runs import finish_without_telling, running_run

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest_asyncio.fixture
async def own_redis(tmp_path, settings):
    """The channel layer, the run log and the feed on a Redis of this test's own; heartbeats too slow to repair
    anything."""
    from tests.redis_process import RedisProcess

    server = RedisProcess(tmp_path)
    server.start()
    settings.NAVI_HEARTBEAT_SECONDS = 60
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [server.url]}}
    }
    channel_layers.backends.clear()
    saved = runlog.run_log.instance, feed.run_feed.instance
    runlog.run_log.instance, feed.run_feed.instance = runlog.RedisRunLog(server.url), feed.RedisFeed(server.url)
    yield server
    runlog.run_log.instance, feed.run_feed.instance = saved
    channel_layers.backends.clear()
    server.kill()


async def run_events(ws, until: str, timeout: float = 20) -> list[dict]:
    seen = []
    while not seen or seen[-1]["type"] != until:
        seen.append(await ws.receive_json_from(timeout=timeout))
    return [e for e in seen if e["type"] != "heartbeat"]


async def logged(run_id: str, count: int) -> None:
    for _ in range(500):
        if len(await runlog.run_log().read(run_id)) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"fewer than {count} events logged")


async def test_a_socket_lives_through_a_redis_restart_and_follows_its_run_on_where_it_left_off(own_redis, caplog):
    caplog.set_level(logging.WARNING, logger="sessions_app.layer_outages")
    sid, run_id = await running_run()
    publisher = RunPublisher(session_id=sid, run_id=run_id, flush_seconds=0)
    publisher.emit(ev.stream_start())
    publisher.emit(ev.stream_delta("Hello "))
    await logged(run_id, 2)
    ws = await open_socket(sid)
    assert [e["type"] for e in await run_events(ws, "replay_end")] == [
        "stream_start", "replay_start", "stream_delta", "replay_end"
    ]  # fmt: skip
    await asyncio.to_thread(own_redis.restart_empty)  # the log, the groups and the socket's channel are gone
    publisher.emit(ev.stream_delta("there"))
    # Only the feed's return (and the look it asks for) can bring it: no heartbeat comes in time.
    assert await ws.receive_json_from(timeout=20) == ev.stream_delta("there")
    await finish_without_telling(run_id)  # stores "Hello there"
    end = ev.stream_end("Hello there", context_tokens=1, max_context_tokens=2, elapsed_seconds=0.1,
                        tool_call_count=0, token_count=2)  # fmt: skip
    publisher.emit(end, final=True)
    await asyncio.wait_for(publisher.close(), 20)
    assert await run_events(ws, "session_sync") == [end, ev.session_sync()]
    outages = [r.getMessage() for r in caplog.records if r.getMessage().startswith("SessionConsumer")]
    # Logged once an outage, not once a try: its start, and its end after some failed tries.
    assert len(outages) == 2, outages
    assert "the channel layer failed" in outages[0] and "answers again, after" in outages[1], outages
    await ws.disconnect()


async def test_a_run_that_ended_while_redis_was_away_is_told_to_its_socket_as_soon_as_redis_answers(own_redis):
    sid, run_id = await running_run()
    await runlog.publish(session_id=sid, run_id=run_id, text='{"type": "stream_start"}',
                         final=False)  # fmt: skip
    ws = await open_socket(sid)
    assert [e["type"] for e in await run_events(ws, "replay_end")] == ["stream_start", "replay_start", "replay_end"]
    own_redis.kill()
    await finish_without_telling(run_id)  # its end never reaches the log: the runner found no Redis
    await asyncio.sleep(0.5)
    await asyncio.to_thread(own_redis.restart_empty, 0)  # and it comes back empty
    # Told well before a heartbeat (60 s) would look: its end logged anew at seq 0, below the socket's place.
    events = await run_events(ws, "session_sync", timeout=20)
    assert [(e["type"], e.get("content")) for e in events] == [("stream_end", "Hello there"), ("session_sync", None)]
    assert [json.loads(e.text)["type"] for e in await runlog.run_log().read(run_id)] == ["stream_end"]
    await ws.disconnect()
