"""Works one run: claims it, drives the engine, stores what it records, relays what it emits.

The terminal event (stream_end, stream_stopped or error) is published only after the run is closed in the
database, so a client that sends its next message the moment it sees the end is never told a run is active.

Every write carries the claim's owner token (see sessions_app.services.run_progress). A runner whose write is
refused (its run failed as stale, or deleted with its session) stops its engine and writes and relays nothing
more: the run's end was already told by whoever took it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from contextlib import aclosing
from uuid import UUID

from channels.db import database_sync_to_async
from django.conf import settings

from agents_app.approvals import run_approvals_close, run_approvals_open
from agents_app.conversation import chat_message, message_fields
from agents_app.engine import (
    Compress,
    ContextUsage,
    Emit,
    PlanningTrace,
    Record,
    RunInput,
    RunServices,
    StopSignal,
    run_agent,
)
from agents_app.engine.tools import ToolPorts
from agents_app.file_store import StorageSessionFiles
from agents_app.long_run_items import store_long_run_item
from agents_app.ollama import default_llm
from agents_app.profiles import profile_catalog
from agents_app.publisher import RunPublisher
from agents_app.stores import DjangoMemoryStore, DjangoProfileDirectory, DjangoTodoStore, memory_system_extras
from agents_app.tool_registry import tool_registry
from navi_project import events as ev
from sessions_app.models import RunStatus
from sessions_app.services import run_progress
from sessions_app.services.run_progress import RunFenced

logger = logging.getLogger(__name__)


def heartbeat_seconds() -> float:
    # Several check-ins per stale window, so a live run is never taken for dead.
    return min(5.0, settings.NAVI_RUN_STALE_SECONDS / 3)


_STATUS_FOR_END = {ev.STREAM_END: RunStatus.COMPLETED, ev.STREAM_STOPPED: RunStatus.STOPPED, ev.ERROR: RunStatus.FAILED}

run_finish = database_sync_to_async(run_progress.run_finish)
run_heartbeat = database_sync_to_async(run_progress.run_heartbeat)
message_append = database_sync_to_async(run_progress.message_append)
set_context_usage = database_sync_to_async(run_progress.session_set_context_usage)


def tool_ports() -> ToolPorts:
    return ToolPorts(
        todos=DjangoTodoStore(),
        memory=DjangoMemoryStore(),
        profiles=DjangoProfileDirectory(),
        extra={"files": StorageSessionFiles()},
    )


def run_input_for(*, profile_id: str, user_id: UUID, session_id: UUID, history: tuple) -> RunInput | str:
    """The engine's input for a session's next run, or the reason it cannot run. Synchronous (may read the ORM)."""
    # The catalog, not profile_get: the operators' availability override (a query) only governs who may pick a
    # profile; sessions already on it keep working (docs/admin.md), so a run has no use for it.
    profile = profile_catalog().get(profile_id)
    if profile is None:
        return f"The session's profile {profile_id!r} is not available any more (check NAVI_PROFILES_DIR)."
    # What the agent remembers about the user, picked for the new message.
    last_user = next((m.content or "" for m in reversed(history) if m.role == "user"), "")
    extras = memory_system_extras(user_id=user_id, query=last_user)
    # The engine knows ids as text (its ports hand them back, see agents_app.stores).
    return RunInput(
        agent=profile.agent_spec(),
        history=history,
        user_id=str(user_id),
        session_id=str(session_id),
        system_extras=extras,
    )


def build_context_input(session, history) -> RunInput | None:
    run_input = run_input_for(
        profile_id=session.profile_id, user_id=session.user_id, session_id=session.id, history=tuple(history)
    )
    return run_input if isinstance(run_input, RunInput) else None


@database_sync_to_async
def begin(run_id: UUID) -> tuple[run_progress.RunStart | None, RunInput | str | None]:
    """Claims the run and prepares the engine's input in one trip to the database thread (first-token latency)."""
    start = run_progress.run_begin(run_id=run_id)
    if start is None:
        return None, None
    return start, run_input_for(
        profile_id=start.profile_id,
        user_id=start.user_id,
        session_id=start.session_id,
        history=tuple(chat_message(m) for m in start.context),
    )


class _Answer:
    """The answer text streamed so far, for heartbeat checkpoints."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self) -> str:
        return "".join(self.parts)


class _Claim:
    """This runner's hold on a run: what every write carries, and whether a write found it lost."""

    def __init__(self, start: run_progress.RunStart) -> None:
        self.ids = {"session_id": start.session_id, "run_id": start.run_id, "owner_token": start.owner_token}
        self.lost = False

    def check(self) -> None:
        if self.lost:
            raise RunFenced


async def execute_run(run_id: UUID, stop: StopSignal) -> None:
    start, run_input = await begin(run_id)
    if start is None:
        return
    claim = _Claim(start)
    # The relay's log keys and messages, and the approval book's marks, hold the ids as text.
    publisher = RunPublisher(session_id=str(start.session_id), run_id=str(run_id))
    answer = _Answer()
    heartbeat = asyncio.create_task(_heartbeats(claim, stop, answer), name=f"navi-run-heartbeat-{run_id}")
    terminal = ev.error("The run ended without an answer.")
    trailing: list[dict] = []  # context_compressed: the spec sends it after stream_end
    if start.stop_requested:
        stop.set()
    try:
        if isinstance(run_input, str):
            publisher.emit(ev.stream_start())
            terminal = ev.error(run_input)
        else:
            approvals = run_approvals_open(
                session_id=str(start.session_id),
                run_id=str(run_id),
                timeout_seconds=settings.NAVI_APPROVAL_TIMEOUT_SECONDS,
            )
            services = RunServices(
                llm=default_llm(), tools=tool_registry(), ports=tool_ports(), stop=stop, approvals=approvals
            )
            async with aclosing(run_agent(run_input, services)) as items:
                async for item in items:
                    claim.check()
                    terminal = await _handle(item, claim, publisher, answer, trailing) or terminal
    except RunFenced:
        claim.lost = True
    except Exception as exc:  # a bug must not leave the run hanging: report it and free the session
        logger.exception("run %s failed", run_id)
        terminal = ev.error(f"Internal error while generating the reply: {type(exc).__name__}: {exc}")
    finally:
        run_approvals_close(str(run_id))
        heartbeat.cancel()
        await _close(claim, publisher, terminal, trailing)


async def _handle(item, claim: _Claim, publisher: RunPublisher, answer: _Answer, trailing: list) -> dict | None:
    """Relays or stores one engine item; returns the terminal event when it is one."""
    if isinstance(item, Emit):
        if item.event["type"] in ev.TERMINAL_TYPES:
            return item.event
        if item.event["type"] == ev.CONTEXT_COMPRESSED:
            trailing.append(item.event)
        else:
            if item.event["type"] == ev.STREAM_DELTA:
                answer.parts.append(item.event["delta"])
            publisher.emit(item.event)
    elif isinstance(item, Record):
        await message_append(**claim.ids, **message_fields(item.message))
    elif isinstance(item, Compress | PlanningTrace):
        await store_long_run_item(item, **claim.ids)
    elif isinstance(item, ContextUsage):
        await set_context_usage(
            **claim.ids, context_tokens=item.context_tokens, max_context_tokens=item.max_context_tokens
        )
    return None


async def _close(claim: _Claim, publisher: RunPublisher, terminal: dict, trailing: list) -> None:
    if not claim.lost:
        try:
            await run_finish(
                run_id=claim.ids["run_id"],
                owner_token=claim.ids["owner_token"],
                status=_STATUS_FOR_END[terminal["type"]],
                error=terminal.get("message", ""),
            )
        except RunFenced:
            claim.lost = True
        except BaseException:
            await publisher.close()  # what it holds goes out; the runner fails the crashed run (agents_app.runner)
            raise
    if claim.lost:
        logger.info("run %s was taken from this runner (failed as stale, or deleted); it stops", claim.ids["run_id"])
        publisher.abandon()
    else:
        publisher.emit(terminal, final=not trailing)
        for index, event in enumerate(trailing, start=1):
            publisher.emit(event, final=index == len(trailing))
    await publisher.close()


async def _heartbeats(claim: _Claim, stop: StopSignal, answer: _Answer) -> None:
    # The first beat at a random point of the interval: runs started together (a burst of messages) would
    # otherwise beat together, hundreds of writes at once on the database thread, a pause of every stream.
    pause = heartbeat_seconds() * random.uniform(0.2, 1.0)
    while True:
        await asyncio.sleep(pause)
        pause = heartbeat_seconds()
        try:
            stop_requested = await run_heartbeat(
                run_id=claim.ids["run_id"], owner_token=claim.ids["owner_token"], partial_content=answer.text()
            )
        except RunFenced:
            claim.lost = True
            stop.set()  # the engine stops at once, even mid-stream or in a tool; nothing it yields is kept
            return
        except Exception:  # a database blip: the next beat tries again (the stale window spans several)
            logger.exception("heartbeat of run %s failed", claim.ids["run_id"])
            continue
        if stop_requested:
            stop.set()  # the stop message may have been missed; the flag in the database is not
