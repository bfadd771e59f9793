"""What a runner writes while it works a run. Called from the runner through database_sync_to_async.

Each claim of a run gets a fresh owner token. Every write below lands only while the run is still running under
that token; otherwise it raises RunFenced and writes nothing. A run loses its token when it ends, when it is
failed as stale (its runner slow, not dead) and when its session is deleted.

Lock order, the same in every transaction that touches a session's run or messages: the session row, then the
run row (PostgreSQL; on SQLite every transaction takes the database's write lock when it begins).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from sessions_app.models import MESSAGE_BODY, Message, Run, RunStatus, Session
from sessions_app.services.compression import session_compress_context
from sessions_app.services.messages import message_add
from sessions_app.services.planning_logs import planning_log_add


class RunFenced(Exception):
    """The run is not this runner's any more: ended, failed as stale, or deleted with its session."""


@dataclass(frozen=True)
class RunStart:
    run_id: UUID
    session_id: UUID
    user_id: UUID
    profile_id: str
    max_context_tokens: int | None
    context: list[dict]  # the model's context, ending with the run's user message: rows of MESSAGE_BODY columns
    stop_requested: bool
    owner_token: UUID


def run_begin(*, run_id: UUID) -> RunStart | None:
    """Claim a queued run. None when it is gone or not queued any more (another runner, or already failed).

    Two statements, each its own transaction (first-token latency): the claim, one `UPDATE ... RETURNING` that
    also reads the run's session, then the context. Nothing else writes the context while the run runs (only
    its runner, under the token just taken); a session deleted in between takes the run with it, and the
    runner's first write is then fenced."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = _claim(run_id=run_id, now=now, token=token)
    if claimed is None:
        return None
    session_id, user_id, profile_id, max_context_tokens, stop_requested = claimed
    session_id, user_id = UUID(str(session_id)), UUID(str(user_id))
    context = Message.objects.filter(session_id=session_id, in_context=True).order_by("id").values(*MESSAGE_BODY)
    return RunStart(
        run_id=run_id,
        session_id=session_id,
        user_id=user_id,
        profile_id=profile_id,
        max_context_tokens=max_context_tokens,
        context=list(context),
        stop_requested=bool(stop_requested),
        owner_token=token,
    )


def _claim(*, run_id: UUID, now, token: UUID) -> tuple | None:
    """queued -> running under a fresh token, in one statement; the run's session id, its user, profile and
    context limit, and the stop flag. (SQLite lets RETURNING read only the updated table: scalar subqueries.)"""
    q = connection.ops.quote_name
    run, session = Run._meta, Session._meta
    field = run.get_field
    session_of = (
        f"FROM {q(session.db_table)} WHERE {q(session.pk.column)} = {q(run.db_table)}.{q(field('session').column)}"
    )
    sql = (
        f"UPDATE {q(run.db_table)} SET {q(field('status').column)} = %s, {q(field('started_at').column)} = %s, "
        f"{q(field('heartbeat_at').column)} = %s, {q(field('owner_token').column)} = %s "
        f"WHERE {q(run.pk.column)} = %s AND {q(field('status').column)} = %s RETURNING {q(field('session').column)}, "
        + ", ".join(
            f"(SELECT {q(session.get_field(name).column)} {session_of})"
            for name in ("user", "profile_id", "max_context_tokens")
        )
        + f", {q(field('stop_requested').column)}"
    )
    when = field("started_at").get_db_prep_value(now, connection)
    params = [
        RunStatus.RUNNING,
        when,
        when,
        field("owner_token").get_db_prep_value(token, connection),
        run.pk.get_db_prep_value(run_id, connection),
        RunStatus.QUEUED,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _held(*, run_id: UUID, owner_token: UUID) -> QuerySet[Run]:
    return Run.objects.filter(id=run_id, owner_token=owner_token, status=RunStatus.RUNNING)


def _hold(*, session_id: UUID, run_id: UUID, owner_token: UUID) -> None:
    """Inside a transaction: lock the session, then check the run is still this runner's."""
    list(Session.objects.select_for_update(no_key=True).filter(id=session_id).values_list("id"))
    if not _held(run_id=run_id, owner_token=owner_token).exists():
        raise RunFenced


def run_heartbeat(*, run_id: UUID, owner_token: UUID, partial_content: str) -> bool:
    """Record that the runner is alive (and the answer so far); returns whether a stop was requested."""
    if not _held(run_id=run_id, owner_token=owner_token).update(
        heartbeat_at=timezone.now(), partial_content=partial_content
    ):
        raise RunFenced
    return Run.objects.filter(id=run_id, stop_requested=True).exists()


def run_finish(*, run_id: UUID, owner_token: UUID, status: str, error: str = "") -> None:
    """Close the run. RunFenced when it was not this runner's any more (failed as stale meanwhile, or deleted)."""
    if not _held(run_id=run_id, owner_token=owner_token).update(
        status=status, error=error, finished_at=timezone.now(), partial_content="", owner_token=None
    ):
        raise RunFenced


@transaction.atomic
def message_append(*, session_id: UUID, run_id: UUID, owner_token: UUID, **fields: Any) -> Message:
    _hold(session_id=session_id, run_id=run_id, owner_token=owner_token)
    return message_add(session_id=session_id, run_id=run_id, touch=True, **fields)


@transaction.atomic
def session_set_context_usage(
    *, session_id: UUID, run_id: UUID, owner_token: UUID, context_tokens: int, max_context_tokens: int
) -> None:
    _hold(session_id=session_id, run_id=run_id, owner_token=owner_token)
    Session.objects.filter(id=session_id).update(
        context_token_count=context_tokens, max_context_tokens=max_context_tokens
    )


@transaction.atomic
def run_compress_context(
    *, session_id: UUID, run_id: UUID, owner_token: UUID, keep_recent: int, summary: dict, marker: dict
) -> None:
    _hold(session_id=session_id, run_id=run_id, owner_token=owner_token)
    session_compress_context(
        session_id=session_id, run_id=run_id, keep_recent=keep_recent, summary=summary, marker=marker
    )


@transaction.atomic
def run_add_planning_log(
    *, session_id: UUID, run_id: UUID, owner_token: UUID, needs_plan: bool, phases: list[tuple[str, str]]
) -> None:
    _hold(session_id=session_id, run_id=run_id, owner_token=owner_token)
    planning_log_add(session_id=session_id, run_id=run_id, needs_plan=needs_plan, phases=phases)
