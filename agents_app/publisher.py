"""Relays a run's events to its log and sockets, coalescing deltas.

One sender task sends events in order. While it is busy, or within the flush window after a delta, further
deltas of the same kind merge into the one waiting, so a fast stream costs one log append and one channel
message per window instead of one per token. The first delta goes out at once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque

from agents_app.engine.events import DELTA_TYPES
from sessions_app.runlog import publish

# After a delta, later ones wait up to this long to go out together. Measured with `make bench`: 100 ms windows
# lowered the p99 lag of 200 streams on Redis but raised it in the embedded setup; 30 ms served both best overall.
FLUSH_SECONDS = 0.03
MAX_DELTA_CHARS = 4096


class RunPublisher:
    def __init__(self, *, layer, session_id: str, run_id: str, flush_seconds: float = FLUSH_SECONDS) -> None:
        self._layer = layer
        self._session_id = session_id
        self._run_id = run_id
        self._flush = flush_seconds
        self._pending: deque[list] = deque()  # [event, final]
        self._wake = asyncio.Event()
        self._closing = False
        self._next_delta_at = 0.0
        self._task = asyncio.create_task(self._sender())

    def emit(self, event: dict, *, final: bool = False) -> None:
        tail = self._pending[-1] if self._pending else None
        if (
            tail is not None
            and event["type"] in DELTA_TYPES
            and tail[0]["type"] == event["type"]
            and len(tail[0]["delta"]) < MAX_DELTA_CHARS
        ):
            tail[0]["delta"] += event["delta"]
        else:
            self._pending.append([dict(event), final])
        self._wake.set()

    async def close(self) -> None:
        """Send everything still pending, then stop."""
        self._closing = True
        self._wake.set()
        await self._task

    async def _sender(self) -> None:
        while True:
            self._wake.clear()
            while self._pending:
                head = self._pending[0]
                if self._may_still_grow(head):
                    wait = self._next_delta_at - time.monotonic()
                    if wait > 0:
                        # A timer, not wait_for: that makes a task per window, too costly at hundreds of streams.
                        self._wake.clear()
                        timer = asyncio.get_running_loop().call_later(wait, self._wake.set)
                        await self._wake.wait()
                        timer.cancel()
                        continue
                self._pending.popleft()
                event, final = head
                await publish(
                    layer=self._layer, session_id=self._session_id, run_id=self._run_id,
                    text=json.dumps(event), final=final,
                )  # fmt: skip
                if event["type"] in DELTA_TYPES:
                    self._next_delta_at = time.monotonic() + self._flush
            if self._closing:
                return
            await self._wake.wait()

    def _may_still_grow(self, head: list) -> bool:
        return (
            len(self._pending) == 1
            and not self._closing
            and head[0]["type"] in DELTA_TYPES
            and len(head[0]["delta"]) < MAX_DELTA_CHARS
        )
