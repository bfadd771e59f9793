"""A socket's view of its session's runs: every event of a run exactly once, in order.

Each socket remembers the last sequence number it sent of the run it follows; the log fills any gap and drops
repeats, so replay plus live events are every event exactly once. A socket whose run has gone quiet asks the
database how it stands (`run_check`): a run whose end never reached the log gets it appended there, once, from
the run's stored state, so every socket watching it is told (a run closed moments ago is its runner's to tell:
the socket looks again a little later). Mixed into SessionConsumer, which sends (`_send_text`) and queues messages to itself (`deliver`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from uuid import UUID

from channels.db import database_sync_to_async

from navi_project import events
from sessions_app.runlog import LogEntry, publish, run_log
from sessions_app.services.runs import run_check

logger = logging.getLogger(__name__)


class RunRelayMixin:
    def relay_begin(self) -> None:
        self.run_id: str | None = None
        self.ended_runs: deque[str] = deque(maxlen=8)  # runs this socket has seen end: their repeats are dropped
        self.last_seq = -1
        self.last_entry: LogEntry | None = None  # the last of the run's events sent to this socket
        self.replayed = False
        self.later_checks: set[asyncio.Task] = set()

    def relay_end(self) -> None:
        for task in getattr(self, "later_checks", ()):  # none when the socket closed before it was accepted
            task.cancel()

    async def run_check(self, message):
        """Sent by this socket's heartbeat to itself, so it runs between event handlers, never amid one."""
        run_id = message["run_id"]
        try:
            if run_id == self.run_id:
                await self._repair(run_id)
        except Exception:  # a database or log blip: the next heartbeat looks again
            logger.exception("run check of run %s failed", run_id)

    async def _repair(self, run_id: str) -> None:
        check = await database_sync_to_async(run_check)(run_id=UUID(run_id))
        if check.look_again_in:
            task = asyncio.create_task(self._check_later(run_id, check.look_again_in))
            self.later_checks.add(task)
            task.add_done_callback(self.later_checks.discard)
        terminal = check.terminal
        entries = await run_log().read(run_id)
        if terminal is not None and not _has_terminal(entries):
            # Appended once however many front ends repair at once (the log refuses a second final entry).
            text = json.dumps(terminal)
            await publish(session_id=self.session_id, run_id=run_id, text=text, final=True)
            entries = await run_log().read(run_id)
        # Whether this socket has been sent the run's end (stream_end, with its context_compressed still to come)
        told = self.last_entry is not None and _is_terminal(self.last_entry)
        for entry in entries:  # what the run's wake-ups did not bring (lost in a layer outage, or never sent)
            if self.run_id == run_id and entry.seq > self.last_seq:
                told = told or _is_terminal(entry)
                await self._send_text(entry.text)
                await self._after(entry)
        if terminal is None or self.run_id != run_id:
            return
        if not told:
            # Its end is logged below this socket's place: the log was lost (Redis restarted empty) and begun again
            # by a repair. The socket is told all the same, the logged end, as every other socket is.
            text = next((e.text for e in entries if _is_terminal(e)), None) or json.dumps(terminal)
            await self._send_text(text)
            return await self._after(LogEntry(self.last_seq, text, final=True))
        self._ended(run_id)  # it has ended; what it still had to send (context_compressed) was lost

    async def _check_later(self, run_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.ask_run_check(run_id)

    async def ask_run_check(self, run_id: str) -> None:
        """Have this socket look at its run (`run_check`), between its handlers."""
        self.deliver({"type": "run.check", "run_id": run_id})

    async def feed_returned(self, message):
        """The run feed reconnected after an outage: what it announced meanwhile is in the log."""
        if self.run_id is not None:
            await self.run_check({"run_id": self.run_id})

    def _track(self, run_id: str) -> None:
        self.run_id, self.last_seq, self.last_entry, self.replayed = run_id, -1, None, False

    async def _replay(self, run_id: str) -> None:
        self._track(run_id)
        entries = await run_log().read(run_id)
        if not entries:
            return  # queued, nothing happened yet: everything will arrive live
        first, rest = entries[0], entries[1:]
        self.replayed = True
        await self._send_text(first.text)  # stream_start
        await self._send_text(json.dumps(events.replay_start(len(rest))))
        for entry in rest:
            await self._send_text(entry.text)
        await self._send_text(json.dumps(events.replay_end()))
        await self._after(entries[-1])

    async def run_event(self, message):
        run_id, seq = message["run_id"], message["seq"]
        if run_id in self.ended_runs:
            return  # a repeat or a late wake-up of a run already shown whole
        if run_id != self.run_id:
            if self.run_id is not None:
                await self._catch_up(self.run_id)  # a run ends before the next begins: show its end first
            # The session's next run, maybe with its first messages lost on the way: the log fills the gap.
            self._track(run_id)
        if seq <= self.last_seq:
            return
        if seq > self.last_seq + 1:
            for entry in await run_log().read(run_id, after=self.last_seq):
                if entry.seq > self.last_seq and self.run_id == run_id:
                    await self._send_text(entry.text)
                    await self._after(entry)
            return
        await self._send_text(message["event"])
        await self._after(LogEntry(seq, message["event"], message["final"]))

    async def _after(self, entry: LogEntry) -> None:
        self.last_seq, self.last_entry = entry.seq, entry
        if entry.final:
            if self.replayed:
                await self._send_text(json.dumps(events.session_sync()))
            self._ended(self.run_id)

    def _ended(self, run_id: str) -> None:
        self.run_id = None
        self.ended_runs.append(run_id)

    async def _catch_up(self, run_id: str) -> None:
        for entry in await run_log().read(run_id, after=self.last_seq):
            await self._send_text(entry.text)
            await self._after(entry)
        if self.run_id == run_id:
            self._ended(run_id)


def _is_terminal(entry: LogEntry) -> bool:
    """The run's end (final, or followed by context_compressed still to come)."""
    return entry.final or json.loads(entry.text).get("type") in events.TERMINAL_TYPES


def _has_terminal(entries: list[LogEntry]) -> bool:
    return any(_is_terminal(entry) for entry in entries)
