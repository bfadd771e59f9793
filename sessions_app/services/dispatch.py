"""Channel-layer sends from synchronous code, made only after the transaction commits."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from sessions_app.runlog import publish, run_control_group

logger = logging.getLogger(__name__)

RUNNER_CHANNEL = "agent-runner"
_sending: set[asyncio.Future] = set()  # referenced until done, so the loop cannot drop them
_caller_loop: ContextVar[asyncio.AbstractEventLoop | None] = ContextVar("navi_caller_loop", default=None)


@contextmanager
def sends_handed_to_this_loop() -> Iterator[None]:
    """Around an async caller's database call (a socket's submit): the after-commit sends made in it are handed
    to the caller's loop, which outlives them, so the database thread does not wait for them."""
    token = _caller_loop.set(asyncio.get_running_loop())
    try:
        yield
    finally:
        _caller_loop.reset(token)


def send_after_commit(*, channel: str, message: dict) -> None:
    transaction.on_commit(lambda: _send(channel, message))


def _send(channel: str, message: dict) -> None:
    """Handed to the caller's loop when it said so (sends_handed_to_this_loop): the database thread is free at
    once and the run starts a loop turn sooner. Else made here, waited for."""
    loop = _caller_loop.get()
    if loop is None or not loop.is_running():
        return async_to_sync(get_channel_layer().send)(channel, message)
    future = asyncio.run_coroutine_threadsafe(get_channel_layer().send(channel, message), loop)
    _sending.add(future)
    future.add_done_callback(_sent)


def _sent(future) -> None:
    _sending.discard(future)
    if future.cancelled() or future.exception() is not None:
        # The run stays queued; a socket's next look at it (run_check) fails it once it is stale.
        logger.error(
            "a message to the runner was not sent", exc_info=None if future.cancelled() else future.exception()
        )


def group_send_after_commit(*, group: str, message: dict) -> None:
    transaction.on_commit(lambda: async_to_sync(get_channel_layer().group_send)(group, message))


def run_enqueue(*, run_id: UUID) -> None:
    send_after_commit(channel=RUNNER_CHANNEL, message={"type": "run.start", "run_id": str(run_id)})


def run_signal_stop(*, run_id: UUID) -> None:
    group_send_after_commit(group=run_control_group(run_id), message={"type": "run.stop", "run_id": str(run_id)})


def publish_final_after_commit(*, session_id: UUID, run_id: UUID, event: dict) -> None:
    text = json.dumps(event)
    transaction.on_commit(lambda: async_to_sync(publish)(session_id=session_id, run_id=run_id, text=text, final=True))
