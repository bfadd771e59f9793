"""A run whose terminal event never reached the log: every watching socket is told, from the stored run, once."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from accounts_app.services import user_get_or_create_owner
from sessions_app.models import Message, Role, Run, RunStatus
from sessions_app.runlog import publish, run_log
from sessions_app.services.sessions import session_create
from tests.sessions_app.test_consumer import open_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def running_run() -> tuple[str, str]:
    session = session_create(user=user_get_or_create_owner(), profile_id="secretary")
    now = timezone.now()
    run = Run.objects.create(session=session, status=RunStatus.RUNNING, started_at=now, heartbeat_at=now)
    Message.objects.create(session=session, run=run, role=Role.USER, content="hello")
    return str(session.id), str(run.id)


@database_sync_to_async
def finish_without_telling(run_id: str) -> None:
    """What a runner that dies right after closing its run leaves: the run ended, its end never published."""
    run = Run.objects.get(id=run_id)
    Message.objects.create(session_id=run.session_id, run=run, role=Role.ASSISTANT, content="Hello there")
    Run.objects.filter(id=run_id).update(status=RunStatus.COMPLETED, finished_at=timezone.now())


async def events_until(ws, kind: str) -> list[dict]:
    seen = []
    while not seen or seen[-1]["type"] != kind:
        seen.append(await ws.receive_json_from(timeout=10))
    return [e for e in seen if e["type"] != "heartbeat"]


async def test_sockets_following_a_run_that_ended_unannounced_get_its_end_once_from_the_database(settings):
    settings.NAVI_HEARTBEAT_SECONDS = 0.3
    sid, run_id = await running_run()
    await run_log().append(run_id, json.dumps({"type": "stream_start"}), False)
    await run_log().append(run_id, json.dumps({"type": "stream_delta", "delta": "Hello there"}), False)
    sockets = [await open_socket(sid) for _ in range(3)]  # as on three front ends, all repairing at once
    for ws in sockets:
        assert await ws.receive_json_from() == {
            "type": "stream_start",
            "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES,
        }
        assert await ws.receive_json_from() == {"type": "replay_start", "count": 1}
        assert (await ws.receive_json_from())["type"] == "stream_delta"
        assert await ws.receive_json_from() == {"type": "replay_end"}
    await finish_without_telling(run_id)
    for ws in sockets:
        events = await events_until(ws, "session_sync")
        assert [e["type"] for e in events] == ["stream_end", "session_sync"]
        assert events[0]["content"] == "Hello there"
        assert set(events[0]) == {"type", "content", "context_tokens", "max_context_tokens", "elapsed_seconds",
                                  "tool_call_count", "token_count", "truncated"}  # fmt: skip
    for ws in sockets:
        assert await ws.receive_nothing(timeout=1.0)  # once: no second end from another socket's repair
    entries = await run_log().read(run_id)
    assert [e.final for e in entries] == [False, False, True]
    for ws in sockets:
        await ws.disconnect()


async def test_a_socket_told_of_a_run_deleted_unannounced_gets_an_error_naming_it(settings):
    settings.NAVI_HEARTBEAT_SECONDS = 0.3
    sid, run_id = await running_run()
    await run_log().append(run_id, json.dumps({"type": "stream_start"}), False)
    ws = await open_socket(sid)
    assert await ws.receive_json_from() == {"type": "stream_start", "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES}
    await ws.receive_json_from()  # replay_start
    await ws.receive_json_from()  # replay_end
    await database_sync_to_async(Run.objects.filter(id=run_id).delete)()
    events = await events_until(ws, "error")
    assert events == [{"type": "error", "message": "The session was deleted."}]
    await ws.disconnect()


async def test_a_run_closed_moments_ago_is_told_by_its_runner_with_what_follows_its_end(settings):
    # A socket's repair that comes between the runner's close and its publish leaves the end to the runner, whose
    # context_compressed (sent after stream_end) would otherwise be refused by a log already holding an end.
    settings.NAVI_HEARTBEAT_SECONDS = 0.2
    sid, run_id = await running_run()
    await run_log().append(run_id, json.dumps({"type": "stream_start"}), False)
    ws = await open_socket(sid)
    assert [(await ws.receive_json_from())["type"] for _ in range(3)] == ["stream_start", "replay_start", "replay_end"]
    await finish_without_telling(run_id)
    await asyncio.sleep(1.0)  # heartbeats, each a repair, while the runner writes the summary
    await publish(session_id=sid, run_id=run_id, text=json.dumps({"type": "stream_end"}), final=False)
    compressed = json.dumps({"type": "context_compressed"})
    await publish(session_id=sid, run_id=run_id, text=compressed, final=True)
    events = await events_until(ws, "session_sync")
    assert [e["type"] for e in events] == ["stream_end", "context_compressed", "session_sync"]
    assert [e.final for e in await run_log().read(run_id)] == [False, False, True]
    await ws.disconnect()
