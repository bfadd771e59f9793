"""The run event log, in memory and in Redis: numbered from 0, read from any point, one log per run, and its final
entry appended once, however many append it at once."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sessions_app import feed, runlog
from sessions_app.runlog import MemoryRunLog, RedisRunLog, append_announcing, publish, run_log
from tests.feed_listener import FeedListener


async def _twenty_front_ends_end_one_run(log) -> None:
    run_id = str(uuid.uuid4())
    assert await log.append(run_id, '{"type": "stream_start"}', False) == 0
    seqs = await asyncio.gather(*(log.append(run_id, f'{{"type": "error", "n": {n}}}', True) for n in range(20)))
    assert sorted(seqs, key=lambda s: s is None) == [1] + [None] * 19
    entries = await log.read(run_id)
    assert [e.final for e in entries] == [False, True]
    assert await log.append(run_id, '{"type": "stream_delta", "delta": "late"}', False) is None
    assert len(await log.read(run_id)) == 2


@pytest.mark.asyncio
async def test_the_configured_log_takes_one_final_entry_of_many_sent_at_once():
    await _twenty_front_ends_end_one_run(run_log())


@pytest.mark.asyncio
async def test_the_memory_log_takes_one_final_entry_of_many_sent_at_once():
    await _twenty_front_ends_end_one_run(MemoryRunLog())


@pytest.mark.asyncio
async def test_the_redis_log_takes_one_final_entry_of_many_sent_at_once(own_redis):
    await _twenty_front_ends_end_one_run(RedisRunLog(own_redis.url))


def test_the_redis_log_gives_each_event_loop_a_client_of_its_own(own_redis):
    log = RedisRunLog(own_redis.url)
    run_id = str(uuid.uuid4())
    clients = []

    async def append_once(n: int) -> None:
        clients.append(log._client()[0])
        await log.append(run_id, f'{{"n": {n}}}', False)

    for n in range(5):  # each asyncio.run is a new loop; a dead loop's id may come back, its client must not
        asyncio.run(append_once(n))
    assert len(clients) == 5
    assert [e.text for e in asyncio.run(log.read(run_id))] == [f'{{"n": {n}}}' for n in range(5)]


LOGS = ["memory", "redis"]


def make_log(kind: str, request):
    """The memory log, or the Redis log on a private Redis server (so both are tested on every setup)."""
    return MemoryRunLog() if kind == "memory" else RedisRunLog(request.getfixturevalue("own_redis").url)


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", LOGS)
async def test_entries_are_numbered_in_order_and_read_from_any_point(kind, request):
    log, run_id = make_log(kind, request), str(uuid.uuid4())
    seqs = [await log.append(run_id, f'{{"n": {i}}}', final=i == 4) for i in range(5)]

    assert seqs == [0, 1, 2, 3, 4]
    assert [(e.seq, e.text, e.final) for e in await log.read(run_id, after=2)] == [
        (3, '{"n": 3}', False),
        (4, '{"n": 4}', True),
    ]
    assert [e.seq for e in await log.read(run_id)] == seqs
    assert await log.read(run_id, after=4) == []


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", LOGS)
async def test_runs_have_logs_of_their_own_and_an_unknown_run_reads_empty(kind, request):
    log, first, second = make_log(kind, request), str(uuid.uuid4()), str(uuid.uuid4())
    await log.append(first, '"a"', final=False)
    await log.append(second, '"b"', final=True)

    assert [e.text for e in await log.read(first)] == ['"a"']
    assert [(e.seq, e.text) for e in await log.read(second)] == [(0, '"b"')]
    assert await log.read(str(uuid.uuid4())) == []


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", LOGS)
async def test_text_outside_ascii_survives_the_round_trip(kind, request):
    log, run_id = make_log(kind, request), str(uuid.uuid4())
    await log.append(run_id, '{"delta": "Grüße, 世界 🌍"}', final=False)
    assert (await log.read(run_id))[0].text == '{"delta": "Grüße, 世界 🌍"}'


@pytest.mark.asyncio
async def test_the_memory_log_forgets_the_oldest_runs_past_its_bound():
    log = MemoryRunLog(max_runs=2)
    runs = [str(uuid.uuid4()) for _ in range(3)]
    for run_id in runs:
        await log.append(run_id, '"x"', final=True)
    assert await log.read(runs[0]) == []
    assert [len(await log.read(r)) for r in runs[1:]] == [1, 1]


@pytest.mark.asyncio
async def test_publish_appends_then_wakes_the_sessions_subscribers_with_the_entry():
    session_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with FeedListener(session_id) as listener, FeedListener(str(uuid.uuid4())) as elsewhere:
        seq = await publish(session_id=session_id, run_id=run_id, text='{"type": "stream_start"}', final=False)
        message = await listener.next(2)
        assert await elsewhere.drain(quiet=0.2) == []  # another session's subscriber is not told

    assert message == {
        "type": "run.event",
        "run_id": run_id,
        "seq": seq,
        "event": '{"type": "stream_start"}',
        "final": False,
    }
    assert [e.text for e in await run_log().read(run_id)] == ['{"type": "stream_start"}']


async def _a_lost_log_is_reseeded_whole_and_goes_on_from_there(log) -> None:
    run_id = str(uuid.uuid4())
    assert await log.append(run_id, '{"type": "stream_start"}', False) == 0
    rebuilt = [('{"type": "stream_start"}', False), ('{"type": "heartbeat"}', False), ('{"n": 2}', False)]
    assert await log.reseed(run_id, rebuilt) == 2
    assert [(e.seq, e.text, e.final) for e in await log.read(run_id)] == [
        (n, *entry) for n, entry in enumerate(rebuilt)
    ]
    assert await log.append(run_id, '{"n": 3}', False) == 3
    assert await log.reseed(run_id, [*rebuilt, ('{"n": 3}', False), ('{"type": "stream_end"}', True)]) == 4
    assert await log.append(run_id, '{"type": "error"}', True) is None  # a reseeded final entry ends the log too
    assert [e.final for e in await log.read(run_id, after=2)] == [False, True]


@pytest.mark.asyncio
async def test_the_memory_log_is_reseeded_whole_and_goes_on_from_there():
    await _a_lost_log_is_reseeded_whole_and_goes_on_from_there(MemoryRunLog())


@pytest.mark.asyncio
async def test_the_redis_log_is_reseeded_whole_and_goes_on_from_there(own_redis):
    await _a_lost_log_is_reseeded_whole_and_goes_on_from_there(RedisRunLog(own_redis.url))


@pytest.fixture
def redis_log_and_feed(own_redis):
    """The process's run log and feed on a Redis of this test's own, as a server with REDIS_URL has them."""
    saved = runlog.run_log.instance, feed.run_feed.instance
    runlog.run_log.instance, feed.run_feed.instance = RedisRunLog(own_redis.url), feed.RedisFeed(own_redis.url)
    yield
    runlog.run_log.instance, feed.run_feed.instance = saved


@pytest.mark.asyncio
@pytest.mark.usefixtures("redis_log_and_feed")
async def test_with_redis_a_runners_append_announces_its_entry_in_the_same_step():
    session_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    entries = [('{"type": "stream_start"}', False), ('{"type": "stream_end"}', True)]
    async with FeedListener(session_id) as listener:
        told = [
            await append_announcing(session_id=session_id, run_id=run_id, text=text, final=final, expected=n)
            for n, (text, final) in enumerate(entries)
        ]
        woken = [await listener.next(2), await listener.next(2)]
        late = await append_announcing(session_id=session_id, run_id=run_id, text='{"x": 1}', final=True, expected=2)
        # Numbered below what the runner expects: its log was lost, so it is not announced (the runner rebuilds it).
        lost = str(uuid.uuid4())
        lower = await append_announcing(session_id=session_id, run_id=lost, text='{"n": 0}', final=False, expected=5)
        assert await listener.drain(quiet=0.2) == []
    assert told == [(0, True), (1, True)] and late == (None, False) and lower == (0, False)
    assert woken == [
        feed.run_event_message(run_id=run_id, seq=n, text=text, final=final) for n, (text, final) in enumerate(entries)
    ]
    assert [(e.text, e.final) for e in await run_log().read(run_id)] == entries


@pytest.mark.asyncio
@pytest.mark.parametrize("log_kind", ["memory", "redis"])
async def test_unless_log_and_feed_share_a_redis_the_append_leaves_the_announcement_to_its_caller(log_kind, request):
    saved = runlog.run_log.instance, feed.run_feed.instance
    runlog.run_log.instance, feed.run_feed.instance = make_log(log_kind, request), feed.MemoryFeed()
    try:
        session_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
        async with FeedListener(session_id) as listener:
            logged = await append_announcing(session_id=session_id, run_id=run_id, text='"x"', final=False, expected=0)
            assert await listener.drain(quiet=0.2) == []
    finally:
        runlog.run_log.instance, feed.run_feed.instance = saved
    assert logged == (0, False)
