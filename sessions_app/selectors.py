"""Reads of sessions, messages and runs."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from navi_project import events
from navi_project.errors import ApplicationError
from navi_project.ids import id_parse
from sessions_app.models import ACTIVE_RUN_STATUSES, Message, Role, Run, RunStatus, Session

if TYPE_CHECKING:
    from accounts_app.models import User

SESSION_NOT_FOUND = "Session not found"


def session_id_parse(value: object) -> UUID:
    """A session id from a path or a message; a malformed one is 404, as a missing session is."""
    return id_parse(value, not_found=SESSION_NOT_FOUND)


def session_get_for_user(*, user: User | None, session_id: UUID, for_update: bool = False) -> Session:
    """The user's session, or 404 (another user's session is as unknown as a missing one).

    Callers parse the id at their entry point (`session_id_parse`); it is checked again here, so an id that
    slipped through unparsed is still a 404, never a 500."""
    sid = session_id_parse(session_id)
    sessions = Session.objects.select_for_update() if for_update else Session.objects
    session = sessions.filter(id=sid, user=user).first() if user is not None else None
    if session is None:
        raise ApplicationError(SESSION_NOT_FOUND, 404)
    return session


def session_list_for_user(*, user: User) -> QuerySet[Session]:
    last_text = (
        Message.objects.filter(session=OuterRef("pk"), in_display=True)
        .exclude(Q(content__isnull=True) | Q(content="") | Q(is_compression=True))  # the marker is no preview
        .order_by("-id")
        .values("content")[:1]
    )
    return (
        Session.objects.filter(user=user)
        .annotate(message_count=Count("messages", filter=Q(messages__in_display=True)), last_text=Subquery(last_text))
        .order_by("-pinned", "-last_active")
    )


def session_display_messages(*, session: Session) -> QuerySet[Message]:
    return session.messages.filter(in_display=True).order_by("id")


def session_context_messages(*, session: Session) -> QuerySet[Message]:
    return session.messages.filter(in_context=True).order_by("id")


def run_active_for_session(*, session_id: UUID) -> Run | None:
    return Run.objects.filter(session_id=session_id, status__in=ACTIVE_RUN_STATUSES).first()


def session_opening_messages(*, session: Session, limit: int) -> list[Message]:
    """The first user and assistant messages with text, as the user saw them (plans and tool rows left out)."""
    shown = (
        session.messages.filter(in_display=True, role__in=[Role.USER, Role.ASSISTANT], is_plan=False)
        .exclude(Q(content__isnull=True) | Q(content=""))
        .order_by("id")[:limit]
    )
    return list(shown)


def run_latest_for_session(*, session_id: UUID) -> Run | None:
    return Run.objects.filter(session_id=session_id).order_by("-created_at").first()


def run_terminal_event(*, run_id: UUID) -> dict | None:
    """The terminal event of an ended run, from what is stored (for a run whose own was lost on the way)."""
    run = Run.objects.select_related("session").filter(id=run_id).first()
    if run is None or run.status in ACTIVE_RUN_STATUSES:
        return None
    if run.status == RunStatus.STOPPED:
        return events.stream_stopped()
    if run.status == RunStatus.FAILED:
        return events.error(run.error or "The reply failed.")
    answers = run.messages.filter(role=Role.ASSISTANT, is_plan=False, in_display=True).order_by("-id")
    answer = next((m for m in answers if not m.tool_calls), None)
    return events.stream_end(
        (answer.content or "") if answer else "",
        context_tokens=run.session.context_token_count,
        max_context_tokens=run.session.max_context_tokens or 0,
        elapsed_seconds=(answer.elapsed_seconds or 0.0) if answer else 0.0,
        tool_call_count=(answer.tool_call_count or 0) if answer else 0,
        token_count=(answer.token_count or 0) if answer else 0,
        truncated=bool(answer and answer.truncated),
    )
