"""The run event log: every event of a run, numbered, so a client that (re)connects gets each exactly once.

Without Redis the log lives in this process's memory (runs happen in this process too); with Redis it is one
Redis list per run, shared by every front end and worker. Entries are the event's JSON text, encoded once.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

LOG_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class LogEntry:
    seq: int
    text: str  # the event as JSON
    final: bool  # the run's last event


class RunLog(Protocol):
    async def append(self, run_id: str, text: str, final: bool) -> int: ...
    async def read(self, run_id: str, after: int = -1) -> list[LogEntry]: ...


def session_group(session_id) -> str:
    return f"session.{session_id}"


def run_control_group(run_id) -> str:
    return f"run.{run_id}"


class MemoryRunLog:
    def __init__(self, max_runs: int = 5000) -> None:
        self._runs: OrderedDict[str, list[tuple[str, bool]]] = OrderedDict()
        self._max_runs = max_runs

    async def append(self, run_id: str, text: str, final: bool) -> int:
        entries = self._runs.get(run_id)
        if entries is None:
            entries = self._runs[run_id] = []
            while len(self._runs) > self._max_runs:
                self._runs.popitem(last=False)
        entries.append((text, final))
        return len(entries) - 1

    async def read(self, run_id: str, after: int = -1) -> list[LogEntry]:
        entries = self._runs.get(run_id, [])
        return [LogEntry(seq, text, final) for seq, (text, final) in enumerate(entries) if seq > after]


class RedisRunLog:
    def __init__(self, url: str) -> None:
        self._url = url
        self._clients: dict[int, object] = {}

    def _client(self):
        import redis.asyncio as redis

        # A redis.asyncio client belongs to the event loop that first used it.
        loop_id = id(asyncio.get_running_loop())
        if loop_id not in self._clients:
            self._clients = {loop_id: redis.Redis.from_url(self._url, socket_timeout=10)}
        return self._clients[loop_id]

    @staticmethod
    def _key(run_id: str) -> str:
        return f"navi:runlog:{run_id}"

    async def append(self, run_id: str, text: str, final: bool) -> int:
        async with self._client().pipeline(transaction=False) as pipe:
            pipe.rpush(self._key(run_id), ("1" if final else "0") + text)
            pipe.expire(self._key(run_id), LOG_TTL_SECONDS)
            length, _ = await pipe.execute()
        return length - 1

    async def read(self, run_id: str, after: int = -1) -> list[LogEntry]:
        raw = await self._client().lrange(self._key(run_id), after + 1, -1)
        return [LogEntry(after + 1 + i, item[1:].decode(), item[:1] == b"1") for i, item in enumerate(raw)]


_log: RunLog | None = None


def run_log() -> RunLog:
    global _log
    if _log is None:
        _log = RedisRunLog(settings.REDIS_URL) if settings.REDIS_URL else MemoryRunLog()
    return _log


async def publish(*, layer, session_id, run_id, text: str, final: bool) -> int:
    """Append an event to its run's log, then wake the session's sockets. Returns its sequence number."""
    seq = await run_log().append(str(run_id), text, final)
    await layer.group_send(
        session_group(session_id),
        {"type": "run.event", "run_id": str(run_id), "seq": seq, "event": text, "final": final},
    )
    return seq
