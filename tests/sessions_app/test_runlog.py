"""The run event log, in memory and (when REDIS_URL is set) in Redis: numbered from 0, read from any point,
the final flag kept, one log per run."""

from __future__ import annotations

import os
import uuid

import pytest
from channels.layers import channel_layers, get_channel_layer

from sessions_app.runlog import MemoryRunLog, RedisRunLog, publish, run_log, session_group

pytestmark = pytest.mark.asyncio

LOGS = ["memory"] + (["redis"] if os.environ.get("REDIS_URL") else [])


def make_log(kind: str):
    return MemoryRunLog() if kind == "memory" else RedisRunLog(os.environ["REDIS_URL"])


@pytest.mark.parametrize("kind", LOGS)
async def test_entries_are_numbered_in_order_and_read_from_any_point(kind):
    log, run_id = make_log(kind), str(uuid.uuid4())
    seqs = [await log.append(run_id, f'{{"n": {i}}}', final=i == 4) for i in range(5)]

    assert seqs == [0, 1, 2, 3, 4]
    assert [(e.seq, e.text, e.final) for e in await log.read(run_id, after=2)] == [
        (3, '{"n": 3}', False),
        (4, '{"n": 4}', True),
    ]
    assert [e.seq for e in await log.read(run_id)] == seqs
    assert await log.read(run_id, after=4) == []


@pytest.mark.parametrize("kind", LOGS)
async def test_runs_have_logs_of_their_own_and_an_unknown_run_reads_empty(kind):
    log, first, second = make_log(kind), str(uuid.uuid4()), str(uuid.uuid4())
    await log.append(first, '"a"', final=False)
    await log.append(second, '"b"', final=True)

    assert [e.text for e in await log.read(first)] == ['"a"']
    assert [(e.seq, e.text) for e in await log.read(second)] == [(0, '"b"')]
    assert await log.read(str(uuid.uuid4())) == []


@pytest.mark.parametrize("kind", LOGS)
async def test_text_outside_ascii_survives_the_round_trip(kind):
    log, run_id = make_log(kind), str(uuid.uuid4())
    await log.append(run_id, '{"delta": "Grüße, 世界 🌍"}', final=False)
    assert (await log.read(run_id))[0].text == '{"delta": "Grüße, 世界 🌍"}'


async def test_the_memory_log_forgets_the_oldest_runs_past_its_bound():
    log = MemoryRunLog(max_runs=2)
    runs = [str(uuid.uuid4()) for _ in range(3)]
    for run_id in runs:
        await log.append(run_id, '"x"', final=True)
    assert await log.read(runs[0]) == []
    assert [len(await log.read(r)) for r in runs[1:]] == [1, 1]


async def test_publish_appends_then_wakes_the_sessions_group_with_the_entry():
    channel_layers.backends.clear()
    layer = get_channel_layer()
    session_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    channel = await layer.new_channel()
    await layer.group_add(session_group(session_id), channel)

    seq = await publish(layer=layer, session_id=session_id, run_id=run_id, text='{"type": "stream_start"}', final=False)
    message = await layer.receive(channel)

    assert message == {
        "type": "run.event",
        "run_id": run_id,
        "seq": seq,
        "event": '{"type": "stream_start"}',
        "final": False,
    }
    assert [e.text for e in await run_log().read(run_id)] == ['{"type": "stream_start"}']
    channel_layers.backends.clear()
