"""Hostile input on the WebSocket: every frame below gets an `error` event, stores nothing, and leaves the socket
open (before, deep JSON and lone surrogates closed it with 1011 and falsy `images` started a run)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from sessions_app.models import Run
from tests.sessions_app.test_consumer import new_session, open_socket, stored, until

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

HOSTILE = [
    "[" * 1000 + "]" * 1000,
    '{"type": "message", "content": ' + '{"a": ' * 999 + "1" + "}" * 1000,
    '{"type": "message", "content": "\\ud800"}',
    '{"type": "message", "content": "fine", "files": [{"path": "\\udfff.txt"}]}',
    '{"type": "message", "content": "a\\u0000b"}',
    '{"type": "message", "content": "x", "images": NaN}',
    *(json.dumps({"type": "message", "content": "x", "images": falsy}) for falsy in ("", 0, False, {}, None)),
    json.dumps({"type": "message", "content": "x", "files": {}}),
    json.dumps({"type": "message", "content": "x", "stream": True}),
    json.dumps({"type": "message", "content": 7}),
    json.dumps({"type": "x" * 5_000_000}),
]


async def test_hostile_frames_get_an_error_event_store_nothing_and_keep_the_socket(fake_ollama, runner):
    sid = await new_session()
    ws = await open_socket(sid)
    await ws.receive_json_from()
    for frame in HOSTILE:
        await ws.send_to(text_data=frame)
        event = await ws.receive_json_from(timeout=10)
        assert event["type"] == "error" and event["message"], frame[:80]
        assert len(event["message"]) < 400
    await ws.send_to(bytes_data=b'{"type": "message", "content": "binary"}')
    assert "text frames" in (await ws.receive_json_from())["message"]
    assert await stored(sid) == [] and not await Run.objects.filter(session_id=sid).aexists()
    await ws.send_json_to({"type": "message", "content": "still here?"})
    assert (await until(ws, "stream_end"))[-1]["content"].startswith("Echo: still here?")
    await ws.disconnect()


async def test_a_frame_past_the_announced_limit_is_refused_with_an_error_event(fake_ollama, runner, settings):
    settings.NAVI_MAX_MESSAGE_BYTES = 1000  # daphne refuses these first; this is the check for other servers
    sid = await new_session()
    ws = await open_socket(sid)
    assert (await ws.receive_json_from())["max_frame_bytes"] == 1000
    await ws.send_json_to({"type": "message", "content": "x" * 1000})
    assert "max_frame_bytes" in (await ws.receive_json_from())["message"]
    assert await stored(sid) == []
    await ws.disconnect()


async def test_the_first_event_of_every_connection_announces_the_frame_limit(fake_ollama, runner):
    sid = await new_session()
    ws = await open_socket(sid)
    assert await ws.receive_json_from() == {"type": "session_sync", "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES}
    await ws.send_json_to({"type": "message", "content": "hello"})
    events = await until(ws, "stream_end")
    assert not any("max_frame_bytes" in e for e in events)  # only the first
    await ws.disconnect()
