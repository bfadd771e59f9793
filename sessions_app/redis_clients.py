"""The Redis-or-memory stores of a process (run log, approval book) and their per-event-loop Redis clients."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings

Store = TypeVar("Store")


class LoopClients:
    """One redis.asyncio client per event loop, made on first use by `make(client)` (which may add scripts).

    A redis.asyncio client belongs to the loop that first used it. Keyed by the loop itself (not its id, which a
    later loop may reuse), weakly, so a dead loop's client goes with it; reached from threads, hence the lock."""

    def __init__(self, url: str, make: Callable = lambda client: client) -> None:
        self._url, self._make = url, make
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self):
        import redis.asyncio as redis

        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._entries.get(loop)
            if entry is None:
                entry = self._entries[loop] = self._make(redis.Redis.from_url(self._url, socket_timeout=10))
        return entry


class PerProcess(Generic[Store]):
    """The process's one store, made on first use: in Redis when REDIS_URL is set (shared by every process),
    in memory otherwise. `instance` may be set to put another store in its place."""

    def __init__(self, in_redis: Callable[[str], Store], in_memory: Callable[[], Store]) -> None:
        self._in_redis, self._in_memory = in_redis, in_memory
        self.instance: Store | None = None

    def __call__(self) -> Store:
        if self.instance is None:
            self.instance = self._in_redis(settings.REDIS_URL) if settings.REDIS_URL else self._in_memory()
        return self.instance
