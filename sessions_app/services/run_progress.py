"""What a runner writes while it works a run. Called from the runner through database_sync_to_async."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from sessions_app.models import Message, Run, RunStatus, Session
from sessions_app.selectors import session_context_messages


@dataclass(frozen=True)
class RunStart:
    run_id: str
    session_id: str
    user_id: str
    profile_id: str
    max_context_tokens: int | None
    context: list[Message]  # the model's context, ending with the run's user message
    stop_requested: bool


@transaction.atomic
def run_begin(*, run_id) -> RunStart | None:
    """Claim a queued run. None when it is gone or not queued any more (another runner, or already failed)."""
    now = timezone.now()
    claimed = Run.objects.filter(id=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    run = Run.objects.select_related("session").get(id=run_id)
    session = run.session
    return RunStart(
        run_id=str(run.id),
        session_id=str(session.id),
        user_id=str(session.user_id),
        profile_id=session.profile_id,
        max_context_tokens=session.max_context_tokens,
        context=list(session_context_messages(session=session)),
        stop_requested=run.stop_requested,
    )


def run_heartbeat(*, run_id, partial_content: str) -> bool:
    """Record that the runner is alive (and the answer so far); returns whether a stop was requested."""
    Run.objects.filter(id=run_id, status=RunStatus.RUNNING).update(
        heartbeat_at=timezone.now(), partial_content=partial_content
    )
    return Run.objects.filter(id=run_id, stop_requested=True).exists()


def run_finish(*, run_id, status: str, error: str = "") -> bool:
    """Close the run; False when it was already closed (e.g. failed as stale meanwhile)."""
    return bool(
        Run.objects.filter(id=run_id, status=RunStatus.RUNNING).update(
            status=status, error=error, finished_at=timezone.now(), partial_content=""
        )
    )


def message_append(*, session_id, run_id, **fields) -> Message:
    message = Message.objects.create(session_id=session_id, run_id=run_id, **fields)
    Session.objects.filter(id=session_id).update(last_active=timezone.now())
    return message


def session_set_context_usage(*, session_id, context_tokens: int, max_context_tokens: int) -> None:
    Session.objects.filter(id=session_id).update(
        context_token_count=context_tokens, max_context_tokens=max_context_tokens
    )
