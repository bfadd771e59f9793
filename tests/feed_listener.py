"""A listener on a session's run feed, subscribed as a socket is, that keeps what it is told."""

from __future__ import annotations

import asyncio

from sessions_app.feed import run_feed


class FeedListener:
    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.messages: asyncio.Queue = asyncio.Queue()

    async def __aenter__(self) -> FeedListener:
        await run_feed().subscribe(self.session_id, self.messages.put_nowait)
        return self

    async def __aexit__(self, *_) -> None:
        await run_feed().unsubscribe(self.session_id, self.messages.put_nowait)

    async def next(self, timeout: float) -> dict:
        return await asyncio.wait_for(self.messages.get(), timeout)

    async def drain(self, quiet: float = 0.5) -> list[dict]:
        """Every message until none comes for `quiet` seconds."""
        received = []
        while True:
            try:
                received.append(await self.next(quiet))
            except TimeoutError:
                return received
