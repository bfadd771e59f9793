"""Works one run: claims it, drives the engine, stores what it records, relays what it emits.

The terminal event (stream_end, stream_stopped or error) is published only after the run is closed in the
database, so a client that sends its next message the moment it sees the end is never told a run is active.
"""

from __future__ import annotations

import asyncio
import logging

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
from agents_app.engine import events as ev
from agents_app.engine.tools import ToolPorts
from agents_app.file_store import StorageSessionFiles
from agents_app.long_run_items import store_long_run_item
from agents_app.ollama import default_llm
from agents_app.profiles import profile_get
from agents_app.publisher import RunPublisher
from agents_app.stores import DjangoMemoryStore, DjangoProfileDirectory, DjangoTodoStore, memory_system_extras
from agents_app.tool_registry import tool_registry
from sessions_app.models import RunStatus
from sessions_app.services import run_progress

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


def run_input_for(*, profile_id: str, user_id: str, session_id: str, history: tuple) -> RunInput | str:
    """The engine's input for a session's next run, or the reason it cannot run. Synchronous (may read the ORM)."""
    profile = profile_get(profile_id)
    if profile is None:
        return f"The session's profile {profile_id!r} is not available any more (check NAVI_PROFILES_DIR)."
    # What the agent remembers about the user, picked for the new message.
    last_user = next((m.content or "" for m in reversed(history) if m.role == "user"), "")
    extras = memory_system_extras(user_id=user_id, query=last_user)
    return RunInput(
        agent=profile.agent_spec(), history=history, user_id=user_id, session_id=session_id, system_extras=extras
    )


def build_context_input(session, history) -> RunInput | None:
    run_input = run_input_for(
        profile_id=session.profile_id, user_id=str(session.user_id), session_id=str(session.id), history=tuple(history)
    )
    return run_input if isinstance(run_input, RunInput) else None


@database_sync_to_async
def begin(run_id: str) -> tuple[run_progress.RunStart | None, RunInput | str | None]:
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


async def execute_run(run_id: str, stop: StopSignal, *, layer) -> None:
    start, run_input = await begin(run_id)
    if start is None:
        return
    publisher = RunPublisher(layer=layer, session_id=start.session_id, run_id=run_id)
    answer = _Answer()
    heartbeat = asyncio.create_task(_heartbeats(run_id, stop, answer))
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
                session_id=start.session_id, run_id=run_id, timeout_seconds=settings.NAVI_APPROVAL_TIMEOUT_SECONDS
            )
            services = RunServices(
                llm=default_llm(), tools=tool_registry(), ports=tool_ports(), stop=stop, approvals=approvals
            )
            async for item in run_agent(run_input, services):
                if isinstance(item, Emit):
                    if item.event["type"] in ev.TERMINAL_TYPES:
                        terminal = item.event
                        continue
                    if item.event["type"] == ev.CONTEXT_COMPRESSED:
                        trailing.append(item.event)
                        continue
                    if item.event["type"] == ev.STREAM_DELTA:
                        answer.parts.append(item.event["delta"])
                    publisher.emit(item.event)
                elif isinstance(item, Record):
                    await message_append(session_id=start.session_id, run_id=run_id, **message_fields(item.message))
                elif isinstance(item, Compress | PlanningTrace):
                    await store_long_run_item(item, session_id=start.session_id, run_id=run_id)
                elif isinstance(item, ContextUsage):
                    await set_context_usage(
                        session_id=start.session_id,
                        context_tokens=item.context_tokens,
                        max_context_tokens=item.max_context_tokens,
                    )
    except Exception as exc:  # a bug must not leave the run hanging: report it and free the session
        logger.exception("run %s failed", run_id)
        terminal = ev.error(f"Internal error while generating the reply: {type(exc).__name__}: {exc}")
    finally:
        run_approvals_close(run_id)
        heartbeat.cancel()
        status = _STATUS_FOR_END[terminal["type"]]
        closed = await run_finish(run_id=run_id, status=status, error=terminal.get("message", ""))
        if closed:  # else it was failed as stale meanwhile, and that already told the clients
            publisher.emit(terminal, final=not trailing)
            for index, event in enumerate(trailing, start=1):
                publisher.emit(event, final=index == len(trailing))
        await publisher.close()


async def _heartbeats(run_id: str, stop: StopSignal, answer: _Answer) -> None:
    while True:
        await asyncio.sleep(heartbeat_seconds())
        try:
            if await run_heartbeat(run_id=run_id, partial_content=answer.text()):
                stop.set()  # the stop message may have been missed; the flag in the database is not
        except Exception:
            logger.exception("heartbeat of run %s failed", run_id)
