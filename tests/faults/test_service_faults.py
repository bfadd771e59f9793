"""The services under a run failing mid-run: Redis restarted empty, PostgreSQL restarted, the model server gone.

Redis and PostgreSQL are servers of the test's own (restarting them must touch nothing else). Each test ends
with every watching socket told how the run ended, the answer so far kept, and the next message answered.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.e2e.client import new_session
from tests.e2e.services import PostgresCluster, RedisServer
from tests.faults.watch import (
    SLOW_WORDS,
    all_told,
    answers,
    assert_partial_kept,
    session_is_usable,
    streamed_text,
    streaming,
)

pytestmark = pytest.mark.asyncio

ENV_POSTGRES = os.environ.get("DATABASE_URL", "") if os.environ.get("DATABASE_URL", "").startswith("postgres") else ""


def _assert_run_ended_consistently(servers, sid, sockets, ends) -> None:
    """Every socket stayed open and heard the same end; a completed answer is whole, an interrupted one keeps
    its start."""
    assert all(end is not None for end in ends), f"a socket was closed instead of told: {ends}"
    told = ends
    assert all(end == told[0] for end in told), told
    if told[0]["type"] == "stream_end":
        assert told[0]["content"] == SLOW_WORDS
        assert answers(servers.url, sid)[-1] == SLOW_WORDS
    else:
        assert told[0]["type"] == "error"
        assert_partial_kept(servers.url, sid, streamed_text(sockets[0]))


async def test_redis_restarted_empty_mid_run_ends_the_run_for_every_socket_and_keeps_the_session(
    fault_servers, tmp_path
):
    redis = RedisServer(tmp_path)
    redis.start()
    # With PostgreSQL: front ends and workers meeting through this Redis; else one server, runner in-process.
    servers = fault_servers(redis_url=redis.url, database_url=ENV_POSTGRES, workers=bool(ENV_POSTGRES))
    servers.cleanups.append(redis.kill)
    sid = new_session(servers.url)
    sockets = await streaming(servers, sid)
    redis.restart(down_seconds=1.0)  # the run log, the groups and every queued message are gone
    ends = await all_told(sockets)
    _assert_run_ended_consistently(servers, sid, sockets, ends)
    # The runner lived through it, and its log was rebuilt where it left off: each socket streamed all, once.
    assert ends[0]["type"] == "stream_end"
    assert [streamed_text(ws) for ws in sockets] == [SLOW_WORDS] * len(sockets)
    await asyncio.gather(*(ws.close() for ws in sockets))
    await session_is_usable(servers, sid)


async def test_postgres_restarted_mid_run_ends_the_run_for_every_socket_and_keeps_the_session(fault_servers):
    cluster = PostgresCluster()
    cluster.init()
    try:
        # With Redis: front ends and workers on this cluster; else one server with its runner in-process.
        servers = fault_servers(database_url=cluster.url)
    except BaseException:
        cluster.destroy()
        raise
    servers.cleanups.append(cluster.destroy)
    sid = new_session(servers.url)
    sockets = await streaming(servers, sid)
    cluster.restart(down_seconds=1.0)  # every connection dropped at once, as in a crash
    ends = await all_told(sockets)
    _assert_run_ended_consistently(servers, sid, sockets, ends)
    await asyncio.gather(*(ws.close() for ws in sockets))
    await session_is_usable(servers, sid)


async def test_the_model_server_killed_mid_stream_fails_the_run_for_every_socket_and_keeps_the_partial_answer(
    fault_servers, fake_process
):
    servers = fault_servers()
    sid = new_session(servers.url)
    sockets = await streaming(servers, sid)
    fake_process.kill()
    try:
        ends = await all_told(sockets, timeout=30)
    finally:
        fake_process.start()
    assert all(end is not None and end["type"] == "error" for end in ends), ends
    assert len({end["message"] for end in ends}) == 1
    kept = assert_partial_kept(servers.url, sid, streamed_text(sockets[0]))
    assert kept == streamed_text(sockets[0])  # the runner was alive throughout: nothing it streamed is lost
    await asyncio.gather(*(ws.close() for ws in sockets))
    await session_is_usable(servers, sid)
