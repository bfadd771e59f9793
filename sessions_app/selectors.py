"""Reads of sessions, messages and runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast

from navi_project import events
from navi_project.errors import ApplicationError
from navi_project.ids import id_parse
from sessions_app.models import ACTIVE_RUN_STATUSES, MESSAGE_SHOWN, Message, Role, Run, RunStatus, Session
from sessions_app.sql_text import IsoDateTime

if TYPE_CHECKING:
    from accounts_app.models import User

SESSION_NOT_FOUND = "Session not found"


def session_id_parse(value: object) -> UUID:
    """A session id from a path or a message; a malformed one is 404, as a missing session is."""
    return id_parse(value, not_found=SESSION_NOT_FOUND)


def session_get_for_user(
    *, user: User | None, session_id: UUID, for_update: bool = False, with_active_run_id: bool = False
) -> Session:
    """The user's session, or 404 (another user's session is as unknown as a missing one).

    Callers parse the id at their entry point (`session_id_parse`); it is checked again here, so an id that
    slipped through unparsed is still a 404, never a 500. `with_active_run_id`: the id of its active run (None
    without one) as `active_run_id`, read by the same statement."""
    sid = session_id_parse(session_id)
    sessions = Session.objects.select_for_update() if for_update else Session.objects.all()
    if with_active_run_id:
        active = Run.objects.filter(session_id=OuterRef("id"), status__in=ACTIVE_RUN_STATUSES).values("id")[:1]
        sessions = sessions.annotate(active_run_id=Subquery(active))
    session = sessions.filter(id=sid, user=user).first() if user is not None else None
    if session is None:
        raise ApplicationError(SESSION_NOT_FOUND, 404)
    return session


_LIST_ORDER = ("-pinned", "-last_active", "-id")  # the index's order (Session.Meta): a total one


@dataclass(frozen=True)
class ListPosition:
    """Where a session stands in its user's list, for the page after it."""

    pinned: bool
    last_active: datetime
    id: UUID


def session_list_position(*, user: User, session_id: UUID) -> ListPosition | None:
    row = Session.objects.filter(user=user, id=session_id).values_list("pinned", "last_active", "id").first()
    return ListPosition(*row) if row else None


def _listed_after(position: ListPosition) -> Q:
    """The sessions after `position` in the list's order (pinned first, then latest activity, then id).

    Written so that the index serves it as a range: `pinned__in`, as `pinned=` becomes `NOT "pinned"` on SQLite,
    which no index serves, and `last_active <=` beside the exact order's OR."""
    same_group = Q(pinned__in=[position.pinned], last_active__lte=position.last_active) & (
        Q(last_active__lt=position.last_active) | Q(id__lt=position.id)
    )
    return same_group | Q(pinned__in=[False]) if position.pinned else same_group


def session_list_for_user(
    *, user: User, limit: int | None = None, after: ListPosition | None = None
) -> QuerySet[Session, str]:
    """The user's sessions as their listings (Session.listing, JSON texts), pinned first, then most recently
    active: all of them, or the `limit` first after `after`."""
    sessions = Session.objects.filter(user=user)
    if after is not None:
        sessions = sessions.filter(_listed_after(after))
    listings = sessions.order_by(*_LIST_ORDER).values_list("listing", flat=True)
    return listings[:limit] if limit is not None else listings


def session_display_messages(*, session: Session) -> QuerySet[Message]:
    return session.messages.filter(in_display=True).order_by("id")


_JSON_LISTS = ("images", "tool_calls")  # JSON columns of every message, empty lists for most


def _json_list(text: str) -> list:
    return [] if text == "[]" else json.loads(text)


def session_display_rows(*, session: Session) -> Iterator[dict]:
    """The display history as rows of MESSAGE_SHOWN, `created_at` as text already: what GET /sessions/{id}
    shows, without building models. The JSON columns come as text and only those that are not empty lists are
    decoded (decoding `[]` twice a row, and each time into a datetime and back, were most of the cost)."""
    as_text = {f"{name}_text": Cast(name, TextField()) for name in _JSON_LISTS}
    plain = [name for name in MESSAGE_SHOWN if name not in (*_JSON_LISTS, "created_at")]
    rows = session_display_messages(session=session).values(*plain, **as_text, created_text=IsoDateTime("created_at"))
    for row in rows:
        for name in _JSON_LISTS:
            row[name] = _json_list(row.pop(f"{name}_text"))
        row["created_at"] = row.pop("created_text")
        yield row


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
