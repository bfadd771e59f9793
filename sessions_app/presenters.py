"""Sessions and messages as the API shows them: one function per answer's shape, ids rendered as text here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings

from sessions_app.models import MESSAGE_BODY, MESSAGE_FLAGS, MESSAGE_STATS, Message, PlanningLog, RunStatus, Session

if TYPE_CHECKING:
    from sessions_app.files import StoredFile


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


_SHOWN_WHEN_SET = ("images", "tool_calls", "tool_call_id", "name", "thinking")


def message_row(row: Mapping[str, Any]) -> dict:
    """A message from its columns (MESSAGE_SHOWN, `created_at` as text): role always; every other field only
    when it has something to say."""
    body: dict = {"role": row["role"], "content": row["content"]}
    for field in _SHOWN_WHEN_SET:
        if row[field]:
            body[field] = row[field]
    for flag in MESSAGE_FLAGS:
        if row[flag]:
            body[flag] = True
    body["created_at"] = row["created_at"]
    for stat in MESSAGE_STATS:
        if row[stat] is not None:
            body[stat] = row[stat]
    return body


def message_dict(message: Message) -> dict:
    return message_row(
        {**{field: getattr(message, field) for field in MESSAGE_BODY}, "created_at": iso(message.created_at)}
    )


def session_max_context(session: Session) -> int:
    return session.max_context_tokens or settings.NAVI_DEFAULT_CONTEXT_TOKENS


def session_list(listings: Iterable[str]) -> bytes:
    """GET /sessions' body: the sessions' listings (JSON objects already) as one JSON array."""
    return ("[" + ",".join(listings) + "]").encode()


def session_created(session: Session) -> dict:
    return {
        "session_id": str(session.id),
        "profile_id": session.profile_id,
        "name": session.name,
        "created_at": iso(session.created_at),
    }


def session_pinned(session: Session) -> dict:
    return {"session_id": str(session.id), "pinned": session.pinned}


def stop_answer(stopped: bool) -> dict:
    return {"ok": True} if stopped else {"ok": False, "reason": "no active run"}


def planning_log(log: PlanningLog) -> dict:
    """The last phase reached and its output, then every phase in order."""
    return {
        "run_id": str(log.run_id) if log.run_id else None,
        "created_at": iso(log.created_at),
        "needs_plan": log.needs_plan,
        "phase": log.phases[-1]["phase"] if log.phases else None,
        "output": log.phases[-1]["output"] if log.phases else None,
        "phases": log.phases,
    }


def session_planning(session: Session, logs: Iterable[PlanningLog]) -> dict:
    return {"session_id": str(session.id), "logs": [planning_log(log) for log in logs]}


def stored_file(stored: StoredFile) -> dict:
    return {"name": stored.name, "size": stored.size, "path": stored.path, "content_type": stored.content_type}


def run_reply(*, status: str, content: str) -> dict:
    """POST /sessions/{id}/messages' answer for a run that completed or was stopped."""
    body: dict = {"role": "assistant", "content": content}
    if status == RunStatus.STOPPED:
        body["stopped"] = True
    return body


def session_detail(session: Session, messages: Iterable[Mapping[str, Any]]) -> dict:
    """`messages`: rows as selectors.session_display_rows gives them."""
    return {
        "session_id": str(session.id),
        "profile_id": session.profile_id,
        "name": session.name,
        "pinned": session.pinned,
        "context_token_count": session.context_token_count,
        "max_context_tokens": session_max_context(session),
        "created_at": iso(session.created_at),
        "last_active": iso(session.last_active),
        "messages": [message_row(m) for m in messages],
    }
