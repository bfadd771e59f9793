"""Tool calls waiting for the user's approval, by session and call id, where every front end can see them.

The runner marks a call as waiting before it announces it. An answer claims the mark: once, atomically, which
turns it into the answer and tells which run to send it to; a second answer, or one for a call that waits no
more, finds nothing. When the wait times out the run expires the mark, as atomically: an answer that claimed it
first counts (its delivery may still be on its way), else the timeout wins and a later answer finds nothing.
Without Redis the marks live in this process's memory (runs happen in this process too); with Redis they are
keys with a time to live.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from sessions_app.redis_clients import LoopClients, PerProcess

if TYPE_CHECKING:
    from channels.layers import BaseChannelLayer

from sessions_app.runlog import run_control_group


class ApprovalBook(Protocol):
    async def open(self, session_id: str, call_id: str, run_id: str, ttl: float) -> None: ...
    async def claim(self, session_id: str, call_id: str, approved: bool) -> str | None: ...
    async def expire(self, session_id: str, call_id: str) -> bool | None: ...
    async def close(self, session_id: str, call_id: str) -> None: ...


class MemoryApprovalBook:
    """Each method runs without awaiting, so on the process's one event loop each is one atomic step."""

    def __init__(self) -> None:
        # (session, call) -> (run id, the answer once claimed, deadline)
        self._marks: dict[tuple[str, str], tuple[str, bool | None, float]] = {}

    def _live(self, key: tuple[str, str]):
        mark = self._marks.get(key)
        return mark if mark is not None and mark[2] > time.monotonic() else None

    async def open(self, session_id: str, call_id: str, run_id: str, ttl: float) -> None:
        now = time.monotonic()
        self._marks = {k: v for k, v in self._marks.items() if v[2] > now}
        self._marks[(session_id, call_id)] = (run_id, None, now + ttl)

    async def claim(self, session_id: str, call_id: str, approved: bool) -> str | None:
        key = (session_id, call_id)
        mark = self._live(key)
        if mark is None or mark[1] is not None:
            return None
        self._marks[key] = (mark[0], approved, mark[2])
        return mark[0]

    async def expire(self, session_id: str, call_id: str) -> bool | None:
        mark = self._live((session_id, call_id))
        self._marks.pop((session_id, call_id), None)
        return None if mark is None else mark[1]

    async def close(self, session_id: str, call_id: str) -> None:
        self._marks.pop((session_id, call_id), None)


# A waiting call's key holds `w|<run id>`; a claimed one `a|<1 or 0>|<run id>` (its time to live kept).
_CLAIM = """
local mark = redis.call('GET', KEYS[1])
if not mark or string.sub(mark, 1, 2) ~= 'w|' then return false end
redis.call('SET', KEYS[1], 'a|' .. ARGV[1] .. '|' .. string.sub(mark, 3), 'KEEPTTL')
return string.sub(mark, 3)
"""


class RedisApprovalBook:
    def __init__(self, url: str) -> None:
        self._clients = LoopClients(url)

    def _client(self):
        return self._clients.get()

    @staticmethod
    def _key(session_id: str, call_id: str) -> str:
        return f"navi:approval:{session_id}:{call_id}"

    async def open(self, session_id: str, call_id: str, run_id: str, ttl: float) -> None:
        await self._client().set(self._key(session_id, call_id), f"w|{run_id}", px=int(ttl * 1000))

    async def claim(self, session_id: str, call_id: str, approved: bool) -> str | None:
        run_id = await self._client().eval(_CLAIM, 1, self._key(session_id, call_id), "1" if approved else "0")
        return run_id.decode() if run_id else None

    async def expire(self, session_id: str, call_id: str) -> bool | None:
        mark = await self._client().getdel(self._key(session_id, call_id))
        if not mark or not mark.startswith(b"a|"):
            return None
        return mark[2:3] == b"1"

    async def close(self, session_id: str, call_id: str) -> None:
        await self._client().delete(self._key(session_id, call_id))


approval_book: PerProcess[ApprovalBook] = PerProcess(RedisApprovalBook, MemoryApprovalBook)


async def approval_send(*, layer: BaseChannelLayer, run_id: str, call_id: str, approved: bool) -> None:
    """The answer, to the run's control group: its runner, on whichever worker it runs."""
    await layer.group_send(
        run_control_group(run_id), {"type": "run.approval", "run_id": run_id, "call_id": call_id, "approved": approved}
    )
