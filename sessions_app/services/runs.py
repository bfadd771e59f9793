"""A run's life: submitted with its user message, started by a runner, finished, stopped, or found dead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from navi_project import events
from navi_project.errors import ApplicationError
from sessions_app.models import ACTIVE_RUN_STATUSES, Message, Role, Run, RunStatus, Session
from sessions_app.selectors import run_active_for_session, run_terminal_event, session_get_for_user
from sessions_app.services.dispatch import publish_final_after_commit, run_enqueue, run_signal_stop
from sessions_app.services.messages import message_add

if TYPE_CHECKING:
    from accounts_app.models import User

# The runner that closes a run publishes its end (and a context_compressed after it) right after: a repair waits
# this long after the close, so it never writes a synthesized end over the runner's own.
END_TELLING_GRACE = timedelta(seconds=3)
RUN_IN_PROGRESS = "A reply is still being generated in this session; wait for it or stop it first."
SESSION_DELETED = "The session was deleted."


@dataclass(frozen=True)
class RunOutcome:
    """How an ended run came out, for the caller that waited on it."""

    status: str
    error: str
    content: str  # the final answer (empty when there is none)


@dataclass(frozen=True)
class UserMessage:
    """A checked user message (see sessions_app.inputs)."""

    content: str
    images: tuple[str, ...] = ()


def message_submit(*, user: User, session_id: UUID, message: UserMessage) -> Run:
    """Store the user message and start a run for it; 409 while another run is active."""
    try:
        return _message_submit(user=user, session_id=session_id, message=message)
    except IntegrityError:  # the one-active-run constraint, should a check have raced
        raise ApplicationError(RUN_IN_PROGRESS, 409) from None


@transaction.atomic
def _message_submit(*, user: User, session_id: UUID, message: UserMessage) -> Run:
    # Locking the session row serializes submits to it; every query here is on the first-token path: the lock
    # reads the session's active run's id with it, and the run itself only when there is one.
    session = session_get_for_user(user=user, session_id=session_id, for_update=True, with_active_run_id=True)
    if session.active_run_id is not None:
        # Read again, as it is now: on PostgreSQL the lock's subquery saw the run as it was before the lock was
        # granted, and a run that ended meanwhile is no reason to refuse.
        active = Run.objects.filter(id=session.active_run_id, status__in=ACTIVE_RUN_STATUSES).first()
        if active is not None and not run_fail_if_stale(run=active):
            raise ApplicationError(RUN_IN_PROGRESS, 409)
    run = Run.objects.create(session=session)
    message_add(
        session_id=session.id, run=run, role=Role.USER, content=message.content, images=list(message.images), touch=True
    )
    run_enqueue(run_id=run.id)
    return run


def run_request_stop(*, user: User, session_id: UUID) -> bool:
    """Ask the session's active run to stop, wherever it runs. False when there is none."""
    session = session_get_for_user(user=user, session_id=session_id)
    return run_request_stop_for_session(session_id=session.id)


def run_request_stop_for_session(*, session_id: UUID) -> bool:
    """As run_request_stop, for a session the caller already may touch (its owner checked, or an operator)."""
    with transaction.atomic():
        run = run_active_for_session(session_id=session_id)
        if run is None:
            return False
        Run.objects.filter(id=run.id).update(stop_requested=True)
        run_signal_stop(run_id=run.id)
    return True


def _is_stale(run: Run) -> bool:
    last_sign = run.heartbeat_at or run.created_at
    return timezone.now() - last_sign > timedelta(seconds=settings.NAVI_RUN_STALE_SECONDS)


@transaction.atomic
def run_fail(*, run: Run, reason: str) -> bool:
    """Mark an active run failed, keep what it had streamed, and tell its clients. False if it was not active.

    Its owner token goes with it: the runner, should it be slow rather than dead, writes nothing more."""
    # The session first, as every run write does (see run_progress): no deadlock with the runner's writes.
    list(Session.objects.select_for_update(no_key=True).filter(id=run.session_id).values_list("id"))
    updated = Run.objects.filter(id=run.id, status__in=ACTIVE_RUN_STATUSES).update(
        status=RunStatus.FAILED, error=reason, finished_at=timezone.now(), owner_token=None
    )
    if not updated:
        return False
    run.refresh_from_db()
    if run.partial_content:
        message_add(session_id=run.session_id, run=run, role=Role.ASSISTANT, content=run.partial_content)
    publish_final_after_commit(session_id=run.session_id, run_id=run.id, event=events.error(reason))
    return True


def run_fail_if_stale(*, run: Run) -> bool:
    """A run whose runner stopped checking in (its process died) is failed so the session is usable again."""
    if not _is_stale(run):
        return False
    waited = "was never picked up by a runner" if run.status == RunStatus.QUEUED else "lost its runner"
    return run_fail(run=run, reason=f"The reply was interrupted: the run {waited}. You can send your message again.")


def run_fail_orphans() -> int:
    """At start of an in-process runner every active run belongs to a process that is gone."""
    count = 0
    for run in Run.objects.filter(status__in=ACTIVE_RUN_STATUSES):
        count += run_fail(run=run, reason="The reply was interrupted by a server restart. You can send it again.")
    return count


def run_fail_crashed(*, run_id: UUID) -> bool:
    """A runner's task died of a bug: fail its run now rather than when it goes stale."""
    run = Run.objects.filter(id=run_id, status__in=ACTIVE_RUN_STATUSES).first()
    reason = "The reply was interrupted by an internal error. You can send your message again."
    return run is not None and run_fail(run=run, reason=reason)


def run_end_for_deleted_session(*, session_id: UUID) -> None:
    """Within the delete's transaction: stop the session's active run and tell its sockets, once it commits.

    The run's row goes with the session, so its runner's next write finds it gone and the runner ends quietly."""
    run = run_active_for_session(session_id=session_id)
    if run is None:
        return
    Run.objects.filter(id=run.id).update(stop_requested=True, owner_token=None)
    run_signal_stop(run_id=run.id)
    publish_final_after_commit(session_id=session_id, run_id=run.id, event=events.error(SESSION_DELETED))


@dataclass(frozen=True)
class RunCheck:
    """How a quiet run stands, for the socket that follows it."""

    terminal: dict | None  # the end its stored state calls for, once it has ended; None while it goes on
    look_again_in: float = 0.0  # closed moments ago: its runner should tell it now; if not, look after this long


def run_check(*, run_id: UUID) -> RunCheck:
    """For a socket following a run that has gone quiet: fail it if its runner is gone; once it has ended, the
    terminal event its stored state calls for."""
    run = Run.objects.filter(id=run_id).first()
    if run is None:  # deleted with its session
        return RunCheck(events.error(SESSION_DELETED))
    if run.status in ACTIVE_RUN_STATUSES:
        if not run_fail_if_stale(run=run):
            return RunCheck(None)
    elif run.finished_at is not None and (since := timezone.now() - run.finished_at) < END_TELLING_GRACE:
        return RunCheck(None, look_again_in=(END_TELLING_GRACE - since).total_seconds())
    return RunCheck(run_terminal_event(run_id=run.id))


def run_outcome(*, run_id: UUID) -> RunOutcome | None:
    """The run's outcome once it has ended (a run whose runner is gone is failed first); None while it goes on.
    404 when the run went with its session."""
    run = Run.objects.filter(id=run_id).first()
    if run is None:
        raise ApplicationError("Session not found", 404)
    if run.status in ACTIVE_RUN_STATUSES:
        if not run_fail_if_stale(run=run):
            return None
        run.refresh_from_db()
    answers = Message.objects.filter(run_id=run_id, role=Role.ASSISTANT, is_plan=False).order_by("-id")
    answer = next((m for m in answers if not m.tool_calls), None)
    return RunOutcome(status=run.status, error=run.error, content=(answer.content or "") if answer else "")
