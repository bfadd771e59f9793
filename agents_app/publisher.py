"""Relays a run's events to its log and sockets, coalescing deltas.

One sender task sends events in order. While it is busy, or within the flush window after a delta, further
deltas of the same kind merge into the one waiting, so a fast stream costs one log append and one channel
message per window instead of one per token. The first delta goes out at once.

A failed send (Redis restarting, a network blip) is retried with backoff, the same event again, so order holds
and nothing is skipped. With Redis the append announces the event in the same script call (one round trip an
event); otherwise, and after a rebuild, the wake-up is sent and retried apart from the append, so its retry
never logs an event twice.

A Redis restarted empty has lost the log: the next append comes back numbered below the one expected. The
publisher then rebuilds the log, in one step, so numbers go on where sockets following live left off: its last
events as they were, and before them the run's first event, one stream_delta with the answer logged until then,
and heartbeats to keep the count. A socket that connects later replays the whole answer; one that missed events
in the outage reads them from the log as usual.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import deque

from navi_project import events as ev
from navi_project.events import DELTA_TYPES
from sessions_app.feed import run_feed
from sessions_app.runlog import append_announcing, run_log

logger = logging.getLogger(__name__)

# After a delta, later ones wait up to this long to go out together: FLUSH_SECONDS while the process relays few
# runs, wider as it relays more, so that its flushes stay near FLUSH_BUDGET a second in all (up to
# LONGEST_FLUSH_SECONDS). Every flush costs the same (a log append and a wake-up, then a socket write on each
# front end), so the cost follows the budget, not runs x tokens: measured with `make bench`, see the README.
FLUSH_SECONDS = 0.03
FLUSH_BUDGET = 4000
LONGEST_FLUSH_SECONDS = 0.25
MAX_DELTA_CHARS = 4096
# Retries of one send back off from the first delay to the longest; after RETRY_SECONDS the event is given up
# (logged): a socket then finds the run's end from the database (see SessionConsumer.run_check).
FIRST_RETRY_SECONDS = 0.05
LONGEST_RETRY_SECONDS = 2.0
RETRY_SECONDS = 60.0
# The last events kept as they were logged, for a rebuild: a socket lags its run by a few events, not more.
KEPT_ENTRIES = 32
# Fills a rebuilt log's places of the events it does not keep: a keepalive, which clients ignore by the spec
# (the socket sends one during any silence), so a replay or a catch-up that includes it shows nothing.
PADDING = json.dumps(ev.heartbeat())
REBUILT_DELTA_CHARS = 64 * 1024  # escaped as JSON, still within DELTA_MAX_BYTES


_relaying = 0  # the publishers of this process still sending


def flush_window() -> float:
    return min(LONGEST_FLUSH_SECONDS, max(FLUSH_SECONDS, _relaying / FLUSH_BUDGET))


class RunPublisher:
    def __init__(self, *, session_id: str, run_id: str, flush_seconds: float | None = None) -> None:
        """`flush_seconds`: a fixed window instead of flush_window()'s."""
        global _relaying
        self._session_id = session_id
        self._run_id = run_id
        self._flush = flush_seconds
        self._pending: deque[list] = deque()  # [event, final]
        self._wake = asyncio.Event()
        self._closing = False
        self._next_delta_at = 0.0
        self._next_seq = 0
        self._first: str | None = None  # the run's first logged event (stream_start)
        self._kept: deque[tuple[str, bool, str]] = deque()  # (text, final, answer text) of the last logged events
        self._answer_before_kept: list[str] = []  # the answer text of the logged events no longer kept
        self._task = asyncio.create_task(self._sender())
        _relaying += 1
        self._task.add_done_callback(_relayed)

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

    def abandon(self) -> None:
        """Drop what is still pending: the run is not this runner's any more."""
        self._pending.clear()
        self._closing = True
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
                await self._publish(event, final)
                if event["type"] in DELTA_TYPES:
                    self._next_delta_at = time.monotonic() + (flush_window() if self._flush is None else self._flush)
            if self._closing:
                return
            await self._wake.wait()

    async def _publish(self, event: dict, final: bool) -> None:
        text = json.dumps(event)
        # With Redis, the append announces the event too, in one round trip (runlog.append_announcing).
        logged = await self._retrying(
            "log",
            lambda: append_announcing(
                session_id=self._session_id, run_id=self._run_id, text=text, final=final, expected=self._next_seq
            ),
        )
        seq, announced = logged if logged is not None else (None, False)
        if seq is not None and seq < self._next_seq:
            logger.warning("run %s: its log was lost (at %d of %d); rebuilding it", self._run_id, seq, self._next_seq)
            entries = [*self._log_so_far(), (text, final)]
            seq = await self._retrying("log rebuild", lambda: run_log().reseed(self._run_id, entries))
        if seq is None:
            return  # given up, or the run's log had ended already (its end was told by someone else)
        self._logged(seq, text, final, event)
        if announced:
            return
        await self._retrying(
            "wake-up",
            lambda: run_feed().announce(
                session_id=self._session_id, run_id=self._run_id, seq=seq, text=text, final=final
            ),
        )

    def _logged(self, seq: int, text: str, final: bool, event: dict) -> None:
        answer = event["delta"] if event["type"] == ev.STREAM_DELTA and not event.get("is_subagent") else ""
        if seq == 0:
            self._first = text
        self._next_seq = seq + 1
        self._kept.append((text, final, answer))
        while len(self._kept) > KEPT_ENTRIES:
            self._answer_before_kept.append(self._kept.popleft()[2])

    def _log_so_far(self) -> list[tuple[str, bool]]:
        """The log as its sockets knew it (seq 0 up to the next one expected), rebuilt from what is kept."""
        kept = [(text, final) for text, final, _ in self._kept]
        start = self._next_seq - len(kept)
        if start == 0:
            return kept
        head = [(self._first or json.dumps(ev.stream_start()), False)]
        answer = "".join(self._answer_before_kept)
        if answer:  # in pieces that fit an event whole, as few as there are places (start - 1) at most
            size = math.ceil(len(answer) / min(start - 1, math.ceil(len(answer) / REBUILT_DELTA_CHARS)))
            head += [(json.dumps(ev.stream_delta(answer[at : at + size])), False) for at in range(0, len(answer), size)]
        return [*head, *[(PADDING, False)] * (start - len(head)), *kept]

    async def _retrying(self, what: str, send):
        delay, deadline, failures = FIRST_RETRY_SECONDS, time.monotonic() + RETRY_SECONDS, 0
        while True:
            try:
                result = await send()
            except Exception as exc:  # the sender must outlive any error of the layer or the log
                failures += 1
                if failures == 1:
                    logger.warning("run %s: event %s failed (%r); retrying", self._run_id, what, exc)
                if time.monotonic() + delay > deadline:
                    logger.error("run %s: event %s failed for %.0f s; given up", self._run_id, what, RETRY_SECONDS)
                    return None
                await asyncio.sleep(delay)
                delay = min(delay * 2, LONGEST_RETRY_SECONDS)
                continue
            if failures:
                logger.warning("run %s: event %s sent after %d failed tries", self._run_id, what, failures)
            return result

    def _may_still_grow(self, head: list) -> bool:
        return (
            len(self._pending) == 1
            and not self._closing
            and head[0]["type"] in DELTA_TYPES
            and len(head[0]["delta"]) < MAX_DELTA_CHARS
        )


def _relayed(_task: asyncio.Task) -> None:
    global _relaying
    _relaying -= 1
