"""The WebSocket consumer with a real channel layer, the real runner and the fake Ollama."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from accounts_app.auth import WebSocketAuthMiddleware
from accounts_app.services import user_get_or_create_owner
from sessions_app.models import Message, Run, RunStatus, Session
from sessions_app.services.runs import run_request_stop
from sessions_app.services.sessions import session_create
from tests.fakes.fake_ollama import script

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def ws_app():
    from channels.routing import URLRouter

    from sessions_app.routing import websocket_urlpatterns

    return WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns))


@database_sync_to_async
def new_session(profile_id="secretary") -> str:
    return str(session_create(user=user_get_or_create_owner(), profile_id=profile_id).id)


@database_sync_to_async
def stored(session_id) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in Message.objects.filter(session_id=session_id).order_by("id")]


async def open_socket(session_id) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(ws_app(), f"/ws/sessions/{session_id}")
    connected, _ = await ws.connect()
    assert connected
    return ws


async def until(ws, kind, timeout=15) -> list[dict]:
    seen = []
    while True:
        event = await ws.receive_json_from(timeout=timeout)
        if event["type"] == "heartbeat":
            continue
        seen.append(event)
        if event["type"] == kind:
            return seen


async def test_an_unknown_session_closes_with_4004(fake_ollama, runner):
    ws = WebsocketCommunicator(ws_app(), "/ws/sessions/00000000-0000-0000-0000-000000000000")
    await ws.connect()
    assert (await ws.receive_output(5)) == {"type": "websocket.close", "code": 4004}


async def test_a_message_streams_the_answer_and_stores_both_sides(fake_ollama, runner):
    sid = await new_session()
    ws = await open_socket(sid)
    assert await ws.receive_json_from() == {"type": "session_sync", "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES}
    await ws.send_json_to(
        {"type": "message", "content": "hi " + script({"thinking": "Let me see.", "content": "Hello there friend"})}
    )
    events = await until(ws, "stream_end")
    kinds = [e["type"] for e in events]
    assert kinds[0] == "stream_start" and kinds[1:3] == ["thinking_delta", "thinking_end"]
    assert "".join(e["delta"] for e in events if e["type"] == "stream_delta") == "Hello there friend"
    assert events[-1]["content"] == "Hello there friend" and events[-1]["max_context_tokens"] == 32768
    rows = await stored(sid)
    assert rows[0][0] == "user" and rows[1] == ("assistant", "Hello there friend")
    await ws.disconnect()


async def test_bad_input_gets_an_error_event_stores_nothing_and_keeps_the_socket(fake_ollama, runner):
    sid = await new_session()
    ws = await open_socket(sid)
    await ws.receive_json_from()
    bad = [
        "not json",
        json.dumps({"type": "shout", "content": "x"}),
        json.dumps({"type": "message", "content": "   "}),
        json.dumps({"type": "message", "content": "x", "images": ["%%%not-base64%%%"]}),
        json.dumps({"type": "message", "content": "x", "images": ["aGVsbG8gd29ybGQ="]}),  # base64, not an image
        json.dumps({"type": "message", "content": "x", "files": [{"path": "session_files/other/../../etc/passwd"}]}),
    ]
    for payload in bad:
        await ws.send_to(text_data=payload)
        event = await ws.receive_json_from()
        assert event["type"] == "error" and event["message"], payload
    assert await stored(sid) == []
    await ws.send_json_to({"type": "message", "content": "still here?"})
    assert (await until(ws, "stream_end"))[-1]["content"].startswith("Echo: still here?")
    await ws.disconnect()


async def test_a_second_message_during_a_run_is_refused_and_changes_nothing(fake_ollama, runner):
    sid = await new_session()
    ws = await open_socket(sid)
    await ws.receive_json_from()
    await ws.send_json_to({"type": "message", "content": "slow " + script({"content": "a b c d e f", "delay": 0.15})})
    await until(ws, "stream_start")
    await ws.send_json_to({"type": "message", "content": "interrupting"})
    events = await until(ws, "error")
    assert "still being generated" in events[-1]["message"]
    await until(ws, "stream_end")
    assert [r[0] for r in await stored(sid)] == ["user", "assistant"]
    await ws.disconnect()


async def test_reconnecting_mid_run_replays_every_event_once_then_goes_live(fake_ollama, runner):
    sid = await new_session()
    words = " ".join(f"w{i}" for i in range(30))
    first = await open_socket(sid)
    await first.receive_json_from()
    await first.send_json_to({"type": "message", "content": "go " + script({"content": words, "delay": 0.05})})
    before = await until(first, "stream_delta")
    await asyncio.sleep(0.4)
    await first.disconnect()

    second = await open_socket(sid)
    start = await second.receive_json_from()
    replay = await second.receive_json_from()
    assert (
        start == {"type": "stream_start", "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES}
        and replay["type"] == "replay_start"
    )
    replayed = [await second.receive_json_from() for _ in range(replay["count"])]
    assert (await second.receive_json_from()) == {"type": "replay_end"}
    live = await until(second, "stream_end")
    assert (await second.receive_json_from()) == {"type": "session_sync"}
    text = "".join(e["delta"] for e in replayed + live if e["type"] == "stream_delta")
    assert text == words == live[-1]["content"]
    assert before[-1]["delta"] and replay["count"] >= 1
    await second.disconnect()


async def test_a_run_goes_on_when_its_socket_leaves_and_its_answer_is_stored(fake_ollama, runner):
    sid = await new_session()
    ws = await open_socket(sid)
    await ws.receive_json_from()
    await ws.send_json_to(
        {"type": "message", "content": "x " + script({"content": "one two three four", "delay": 0.05})}
    )
    await until(ws, "stream_start")
    await ws.disconnect()
    for _ in range(100):
        rows = await stored(sid)
        if len(rows) == 2:
            break
        await asyncio.sleep(0.05)
    assert rows[1] == ("assistant", "one two three four")


async def test_stop_ends_the_run_and_keeps_what_was_streamed(fake_ollama, runner):
    sid = await new_session()
    ws = await open_socket(sid)
    await ws.receive_json_from()
    await ws.send_json_to(
        {"type": "message", "content": "x " + script({"content": "a b c d e f g h i j k l", "delay": 0.1})}
    )
    seen = await until(ws, "stream_delta")
    owner = await database_sync_to_async(user_get_or_create_owner)()
    assert await database_sync_to_async(run_request_stop)(user=owner, session_id=sid)
    seen += await until(ws, "stream_stopped")
    streamed = "".join(e["delta"] for e in seen if e["type"] == "stream_delta")
    rows = await stored(sid)
    assert rows[-1] == ("assistant", streamed) and streamed != "a b c d e f g h i j k l"
    run = await database_sync_to_async(lambda: Run.objects.get(session_id=sid))()
    assert run.status == RunStatus.STOPPED
    assert not await database_sync_to_async(run_request_stop)(user=owner, session_id=sid)
    await ws.disconnect()


async def test_heartbeats_fill_silent_stretches_of_a_run(fake_ollama, runner, settings):
    settings.NAVI_HEARTBEAT_SECONDS = 0.2
    sid = await new_session()
    ws = await open_socket(sid)
    await ws.receive_json_from()
    await ws.send_json_to({"type": "message", "content": "x " + script({"content": "late", "first_delay": 1.0})})
    kinds = []
    while "stream_end" not in kinds:
        kinds.append((await ws.receive_json_from(timeout=10))["type"])
    assert kinds.count("heartbeat") >= 2
    await ws.disconnect()


async def test_a_run_whose_runner_died_is_failed_on_connect_and_the_session_is_usable(fake_ollama, runner, settings):
    settings.NAVI_RUN_STALE_SECONDS = 1
    sid = await new_session()

    @database_sync_to_async
    def orphan():
        long_ago = timezone.now() - timezone.timedelta(seconds=30)
        Run.objects.create(session_id=sid, status=RunStatus.RUNNING, heartbeat_at=long_ago, partial_content="half an")

    await orphan()
    ws = await open_socket(sid)
    assert (await ws.receive_json_from()) == {
        "type": "session_sync",
        "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES,
    }
    assert (await stored(sid))[-1] == ("assistant", "half an")
    await ws.send_json_to({"type": "message", "content": "again"})
    assert (await until(ws, "stream_end"))[-1]["content"].startswith("Echo: again")
    statuses = await database_sync_to_async(lambda: sorted(Run.objects.values_list("status", flat=True)))()
    assert statuses == ["completed", "failed"]
    await ws.disconnect()


async def test_an_unreachable_ollama_ends_the_run_with_an_error_naming_it_quickly(fake_ollama, runner, settings):
    from agents_app import ollama

    settings.OLLAMA_HOST = "http://127.0.0.1:9"  # nothing listens on the discard port
    ollama._default = None
    sid = await new_session()
    ws = await open_socket(sid)
    await ws.receive_json_from()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await ws.send_json_to({"type": "message", "content": "anyone?"})
    events = await until(ws, "error", timeout=10)
    assert loop.time() - started < 10
    assert "unreachable" in events[-1]["message"] and "127.0.0.1:9" in events[-1]["message"]
    await ws.disconnect()
    session = await database_sync_to_async(Session.objects.get)(id=sid)
    assert session is not None
