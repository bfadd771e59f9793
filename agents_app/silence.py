"""A time limit on each wait for the next part of a stream, at the cost of one timer per limit, not per part.

`asyncio.timeout` around every read cancels one timer and schedules another for every token (a tenth of the
relay's time on a fast stream). Here a read only notes when it began; the one timer, when it comes due, looks at
that note and either ends the read that has waited too long (TimeoutError in the reading task, as
`asyncio.timeout` raises it) or sets itself again for the current read's deadline.
"""

from __future__ import annotations

import asyncio

_EARLY = 1e-3  # the loop runs a timer up to its clock resolution early


class SilenceLimit:
    """`async with SilenceLimit(limit) as silence:`, then `async with silence.reading():` around each read."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._fired = False
        self._reading_since: float | None = None

    async def __aenter__(self) -> SilenceLimit:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._cancelling = self._task.cancelling()
        self._handle = self._loop.call_at(self._loop.time() + self.limit, self._due)
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        self._handle.cancel()
        if self._fired and exc_type is asyncio.CancelledError and self._task.uncancel() <= self._cancelling:
            raise TimeoutError from exc

    def set_limit(self, limit: float) -> None:
        """A new limit for the reads to come (a stream's first part may take longer than the ones after it)."""
        if limit != self.limit:
            self.limit = limit
            self._handle.cancel()
            self._handle = self._loop.call_at(self._loop.time() + limit, self._due)

    def reading(self) -> _Read:
        return _Read(self)

    def _due(self) -> None:
        now = self._loop.time()
        if self._reading_since is None:  # between reads: what the reader does with a part is not silence
            self._handle = self._loop.call_at(now + self.limit, self._due)
        elif now + _EARLY >= self._reading_since + self.limit:
            self._fired = True
            self._task.cancel()
        else:
            self._handle = self._loop.call_at(self._reading_since + self.limit, self._due)


class _Read:
    __slots__ = ("_silence",)

    def __init__(self, silence: SilenceLimit) -> None:
        self._silence = silence

    async def __aenter__(self) -> None:
        self._silence._reading_since = self._silence._loop.time()

    async def __aexit__(self, exc_type, exc, tb) -> None:
        self._silence._reading_since = None
