"""Cooperative stop: a flag that also interrupts whatever the engine is waiting on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

T = TypeVar("T")


class Stopped(Exception):
    """The user asked the run to stop."""


class StopSignal:
    def __init__(self) -> None:
        self._set = False
        self._watchers: list[Callable[[], None]] = []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        for watcher in list(self._watchers):
            watcher()

    def watch(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` when stop is set; returns the function that unregisters it."""
        self._watchers.append(callback)
        return lambda: self._watchers.remove(callback) if callback in self._watchers else None

    def check(self) -> None:
        if self._set:
            raise Stopped


_END = object()
_STOP = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


async def pump(source: AsyncIterator[T], stop: StopSignal) -> AsyncIterator[T]:
    """Iterate `source` in its own task so that stop interrupts even a long silence.

    On stop the reading task is cancelled, which closes the source (and so an HTTP stream), and Stopped is raised.
    """
    stop.check()
    queue: asyncio.Queue = asyncio.Queue()

    async def read() -> None:
        try:
            async for item in source:
                queue.put_nowait(item)
            queue.put_nowait(_END)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the consumer, which re-raises it in its own task
            queue.put_nowait(_Failure(exc))

    reader = asyncio.create_task(read())
    unwatch = stop.watch(lambda: queue.put_nowait(_STOP))
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if item is _STOP:
                raise Stopped
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        unwatch()
        if not reader.done():
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
