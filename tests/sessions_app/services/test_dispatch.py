"""After-commit sends to the runner: made and waited for on the database thread, or, for a caller that says its
loop outlives them (a socket's submit), handed to that loop so the thread is free at once. Either way, sent."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from sessions_app.services import dispatch


class HeldLayer:
    """A channel layer whose sends wait until the test lets them through (a slow Redis round trip)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.through = asyncio.Event()

    async def send(self, channel: str, message: dict) -> None:
        await self.through.wait()
        self.sent.append((channel, message))


MESSAGE = {"type": "run.start", "run_id": "r-1"}


@pytest.mark.asyncio
async def test_a_send_handed_to_the_callers_loop_frees_the_database_thread_and_is_still_made(monkeypatch):
    layer = HeldLayer()
    monkeypatch.setattr(dispatch, "get_channel_layer", lambda: layer)
    with dispatch.sends_handed_to_this_loop():
        await sync_to_async(dispatch._send)("agent-runner", MESSAGE)  # returns with the send still held
    assert layer.sent == []
    layer.through.set()
    for _ in range(50):
        await asyncio.sleep(0.01)
        if layer.sent:
            break
    assert layer.sent == [("agent-runner", MESSAGE)]


def test_a_send_from_code_that_said_nothing_is_made_before_its_call_returns_even_under_a_passing_loop(monkeypatch):
    # A script or command: async_to_sync runs a loop of its own that ends with the call, so a send left to it
    # would be cancelled unmade.
    layer = HeldLayer()
    layer.through.set()
    monkeypatch.setattr(dispatch, "get_channel_layer", lambda: layer)

    async def caller():
        await sync_to_async(dispatch._send)("agent-runner", MESSAGE)

    async_to_sync(caller)()
    assert layer.sent == [("agent-runner", MESSAGE)]
