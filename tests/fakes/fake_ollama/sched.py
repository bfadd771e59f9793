"""Loaded models, (re)loads and request slots, after Ollama's scheduler (server/sched.go) and runner (llm/).

- A model is loaded with one num_ctx (and context shift setting); a request asking another reloads it, after the
  requests still running on the old copy finish (sched.go needsReload compares the runner options).
- With `max_loaded`, loading one more model first unloads the least recently used idle one.
- Each loaded model serves `parallel` requests at once (OLLAMA_NUM_PARALLEL; the runner's semaphore in
  llm/llama_server.go); the others wait in order. None means no limit (kinder than Ollama, whose default is 1).
- After its last request a model stays loaded for `keep_alive` seconds (0: unloaded at once).
All waiting happens before the first byte of the answer, as in Ollama, and ends when the client goes away.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass, field

POLL = 0.005


class ClientGone(Exception):
    """The client closed the connection while its request waited."""


def gone(reader: asyncio.StreamReader | None) -> bool:
    return reader is not None and (reader.at_eof() or reader.exception() is not None)


async def sleep_unless_gone(seconds: float, reader: asyncio.StreamReader | None) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if gone(reader):
            raise ClientGone
        await asyncio.sleep(min(left, 0.05))


@dataclass(eq=False)
class Runner:
    model: str
    num_ctx: int
    shift: bool
    keep_alive: float
    refs: int = 0  # requests holding it (running or waiting for a slot)
    busy: int = 0  # requests generating
    waiters: deque = field(default_factory=deque)
    closing: bool = False  # being replaced: new requests must not use it
    expires_at: float = math.inf
    last_used: float = field(default_factory=time.monotonic)

    def serves(self, num_ctx: int, shift: bool) -> bool:
        return not self.closing and self.num_ctx == num_ctx and self.shift == shift


class Scheduler:
    def __init__(self, parallel: int | None, max_loaded: int | None, keep_alive: float) -> None:
        self.parallel = parallel
        self.max_loaded = max_loaded
        self.keep_alive = keep_alive
        self.loads: list[tuple[str, int]] = []
        self.runners: dict[str, Runner] = {}
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def clear(self) -> None:
        self.loads.clear()
        self.runners = {}

    def loaded(self) -> dict[str, int]:
        self._expire()
        return {name: r.num_ctx for name, r in self.runners.items() if not r.closing}

    def unload(self, model: str) -> None:
        """keep_alive 0 with no messages (routes.go ChatHandler, sched.expireRunner): gone once idle."""
        runner = self.runners.get(model)
        if runner is not None:
            runner.keep_alive = 0
            if runner.refs == 0:
                self._drop(runner)

    async def acquire(self, model: str, num_ctx: int, shift: bool, load_seconds: float, keep_alive: float | None,
                      reader: asyncio.StreamReader | None, slot: bool = True) -> Runner:  # fmt: skip
        """The runner for this request, loading it if needed, and (with `slot`) a slot to generate in."""
        self._expire()
        runner = self.runners.get(model)
        if runner is None or not runner.serves(num_ctx, shift):
            runner = await self._load(model, num_ctx, shift, load_seconds, reader)
        else:
            runner.refs += 1
        runner.keep_alive = self.keep_alive if keep_alive is None else keep_alive
        runner.expires_at = math.inf
        if slot:
            try:
                await self._take_slot(runner, reader)
            except BaseException:
                self.release(runner, slot=False)
                raise
        return runner

    def release(self, runner: Runner, slot: bool = True) -> None:
        if slot:
            runner.busy -= 1
        runner.refs -= 1
        runner.last_used = time.monotonic()
        if runner.refs == 0:
            if runner.keep_alive <= 0:
                self._drop(runner)
            else:
                runner.expires_at = runner.last_used + runner.keep_alive

    # --- Inside -------------------------------------------------------------------------------------------

    def _lock_for_loop(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def _load(self, model: str, num_ctx: int, shift: bool, load_seconds: float,
                    reader: asyncio.StreamReader | None) -> Runner:  # fmt: skip
        # One load at a time, in arrival order, like sched.go's processPending.
        async with self._lock_for_loop():
            self._expire()
            current = self.runners.get(model)
            if current is not None and current.serves(num_ctx, shift):  # loaded while this request waited
                current.refs += 1
                return current
            victims = [current] if current is not None else []
            if self.max_loaded is not None:
                others = sorted((r for r in self.runners.values() if r.model != model), key=lambda r: r.last_used)
                victims += others[: max(0, len(others) + 1 - self.max_loaded)]
            for victim in victims:
                victim.closing = True
            while any(v.refs for v in victims):  # the old copies finish what they run first
                if gone(reader):
                    raise ClientGone
                await asyncio.sleep(POLL)
            for victim in victims:
                self._drop(victim)
            self.loads.append((model, num_ctx))
            await asyncio.sleep(load_seconds)  # a load goes on even when its client leaves, as in Ollama
            runner = Runner(model, num_ctx, shift, self.keep_alive, refs=1)
            self.runners[model] = runner
            return runner

    async def _take_slot(self, runner: Runner, reader: asyncio.StreamReader | None) -> None:
        if self.parallel is None and not runner.waiters:
            runner.busy += 1
            return
        token = object()
        runner.waiters.append(token)
        try:
            while not (runner.waiters[0] is token and (self.parallel is None or runner.busy < self.parallel)):
                if gone(reader):
                    raise ClientGone
                await asyncio.sleep(POLL)
        finally:
            runner.waiters.remove(token)
        runner.busy += 1

    def _drop(self, runner: Runner) -> None:
        runner.closing = True
        if self.runners.get(runner.model) is runner:
            del self.runners[runner.model]

    def _expire(self) -> None:
        now = time.monotonic()
        for runner in list(self.runners.values()):
            if runner.refs == 0 and runner.expires_at <= now:
                self._drop(runner)
