"""Tool calls waiting for the user's approval, by session and call id, where every front end can see them.

The runner marks a call as waiting before it announces it; an answer claims the mark (once: a second answer,
or one for a call that waits no more, finds nothing) and learns which run to send it to. Without Redis the marks
live in this process's memory (runs happen in this process too); with Redis they are keys with a time to live.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from django.conf import settings

from sessions_app.runlog import run_control_group


class ApprovalBook(Protocol):
    async def open(self, session_id: str, call_id: str, run_id: str, ttl: float) -> None: ...
    async def claim(self, session_id: str, call_id: str) -> str | None: ...
    async def close(self, session_id: str, call_id: str) -> None: ...


class MemoryApprovalBook:
    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], tuple[str, float]] = {}

    async def open(self, session_id: str, call_id: str, run_id: str, ttl: float) -> None:
        now = time.monotonic()
        self._waiting = {k: v for k, v in self._waiting.items() if v[1] > now}
        self._waiting[(session_id, call_id)] = (run_id, now + ttl)

    async def claim(self, session_id: str, call_id: str) -> str | None:
        entry = self._waiting.pop((session_id, call_id), None)
        return entry[0] if entry and entry[1] > time.monotonic() else None

    async def close(self, session_id: str, call_id: str) -> None:
        self._waiting.pop((session_id, call_id), None)


class RedisApprovalBook:
    def __init__(self, url: str) -> None:
        self._url = url
        self._clients: dict[int, object] = {}

    def _client(self):
        import redis.asyncio as redis

        loop_id = id(asyncio.get_running_loop())  # a redis.asyncio client belongs to its event loop
        if loop_id not in self._clients:
            self._clients = {loop_id: redis.Redis.from_url(self._url, socket_timeout=10)}
        return self._clients[loop_id]

    @staticmethod
    def _key(session_id: str, call_id: str) -> str:
        return f"navi:approval:{session_id}:{call_id}"

    async def open(self, session_id: str, call_id: str, run_id: str, ttl: float) -> None:
        await self._client().set(self._key(session_id, call_id), run_id, px=int(ttl * 1000))

    async def claim(self, session_id: str, call_id: str) -> str | None:
        run_id = await self._client().getdel(self._key(session_id, call_id))
        return run_id.decode() if run_id else None

    async def close(self, session_id: str, call_id: str) -> None:
        await self._client().delete(self._key(session_id, call_id))


_book: ApprovalBook | None = None


def approval_book() -> ApprovalBook:
    global _book
    if _book is None:
        _book = RedisApprovalBook(settings.REDIS_URL) if settings.REDIS_URL else MemoryApprovalBook()
    return _book


async def approval_send(*, layer, run_id: str, call_id: str, approved: bool) -> None:
    """The answer, to the run's control group: its runner, on whichever worker it runs."""
    await layer.group_send(
        run_control_group(run_id), {"type": "run.approval", "run_id": run_id, "call_id": call_id, "approved": approved}
    )
