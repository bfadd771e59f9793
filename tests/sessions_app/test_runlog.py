"""The run event log: its final entry is appended once, however many append it at once."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sessions_app.runlog import MemoryRunLog, RedisRunLog, run_log


@pytest.fixture
def own_redis(tmp_path):
    from tests.redis_process import RedisProcess

    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.kill()


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
