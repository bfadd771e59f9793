"""Deleting a session while its run streams to a socket."""

from __future__ import annotations

import asyncio
import logging

import pytest
from channels.db import database_sync_to_async

from accounts_app.services import user_get_or_create_owner
from sessions_app.models import Message, Run
from sessions_app.services.sessions import session_create, session_delete
from tests.fakes.fake_ollama import script
from tests.sessions_app.test_consumer import open_socket, until

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_deleting_a_session_mid_run_tells_every_socket_and_its_runner_ends_quietly(fake_ollama, runner, caplog):
    caplog.set_level(logging.INFO)
    user = await database_sync_to_async(user_get_or_create_owner)()
    session = await database_sync_to_async(session_create)(user=user, profile_id="secretary")
    sid = str(session.id)
    watching = [await open_socket(sid), await open_socket(sid)]
    for ws in watching:
        assert (await ws.receive_json_from())["type"] == "session_sync"
    await watching[0].send_json_to(
        {"type": "message", "content": "long " + script({"content": " ".join(["tick"] * 200), "delay": 0.03})}
    )
    for ws in watching:
        await until(ws, "stream_delta")
    await database_sync_to_async(session_delete)(user=user, session_id=sid)
    for ws in watching:
        events = await until(ws, "error")
        assert events[-1] == {"type": "error", "message": "The session was deleted."}
    # The runner hears the stop, its last write finds the run gone, and it ends without a trace of an error.
    for _ in range(200):
        if "was taken from this runner" in caplog.text:
            break
        await asyncio.sleep(0.05)
    assert "was taken from this runner" in caplog.text
    assert "IntegrityError" not in caplog.text and "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not await database_sync_to_async(Message.objects.filter(session_id=sid).exists)()
    assert not await database_sync_to_async(Run.objects.filter(session_id=sid).exists)()
    for ws in watching:
        await ws.disconnect()
