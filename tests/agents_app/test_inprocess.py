"""The in-process agent runner is supervised: a crash of its worker is logged and the worker starts again."""

from __future__ import annotations

import asyncio
import logging

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer

from accounts_app.services import user_get_or_create_owner
from agents_app import inprocess
from sessions_app.models import Run, RunStatus
from sessions_app.services.dispatch import RUNNER_CHANNEL
from sessions_app.services.runs import UserMessage, message_submit
from sessions_app.services.sessions import session_create

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_the_in_process_runner_starts_again_after_a_malformed_message_kills_its_worker(fake_ollama, caplog):
    channel_layers.backends.clear()
    inprocess._started_on, inprocess._orphans_checked = None, True
    await inprocess.ensure_inprocess_runner()
    try:
        await get_channel_layer().send(RUNNER_CHANNEL, {"no": "type"})  # Channels' worker dies of this
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while "crashed; starting it again" not in caplog.text:
            assert loop.time() < deadline
            await asyncio.sleep(0.05)
        assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)

        user = await database_sync_to_async(user_get_or_create_owner)()
        session = await database_sync_to_async(session_create)(user=user, profile_id="secretary")
        run = await database_sync_to_async(message_submit)(
            user=user, session_id=session.id, message=UserMessage(content="still there?")
        )
        while await database_sync_to_async(lambda: Run.objects.get(id=run.id).status)() != RunStatus.COMPLETED:
            assert loop.time() < deadline + 20
            await asyncio.sleep(0.05)
    finally:
        inprocess._task.cancel()
        await asyncio.gather(inprocess._task, return_exceptions=True)
        inprocess._started_on = None
        channel_layers.backends.clear()
