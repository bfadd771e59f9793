"""Sessions and messages as the API shows them: one function per answer's shape, ids rendered as text here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings

from sessions_app.models import MESSAGE_FLAGS, MESSAGE_STATS, Message, PlanningLog, RunStatus, Session

if TYPE_CHECKING:
    from sessions_app.files import StoredFile


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def message_dict(message: Message) -> dict:
    """Role always; every other field only when it has something to say."""
    body: dict = {"role": message.role, "content": message.content}
    if message.images:
        body["images"] = message.images
    if message.tool_calls:
        body["tool_calls"] = message.tool_calls
    if message.tool_call_id:
        body["tool_call_id"] = message.tool_call_id
    if message.name:
        body["name"] = message.name
    if message.thinking:
        body["thinking"] = message.thinking
    for flag in MESSAGE_FLAGS:
        if getattr(message, flag):
            body[flag] = True
    body["created_at"] = iso(message.created_at)
    for stat in MESSAGE_STATS:
        if getattr(message, stat) is not None:
            body[stat] = getattr(message, stat)
    return body


def session_max_context(session: Session) -> int:
    return session.max_context_tokens or settings.NAVI_DEFAULT_CONTEXT_TOKENS


def session_summary(session: Session) -> dict:
    """A sidebar row; `session` comes from session_list_for_user (annotated)."""
    return {
        "session_id": str(session.id),
        "profile_id": session.profile_id,
        "name": session.name,
        "message_count": session.message_count,
        "preview": (session.last_text or "")[-60:],
        "pinned": session.pinned,
        "created_at": iso(session.created_at),
        "last_active": iso(session.last_active),
    }


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


def session_detail(session: Session, messages: Iterable[Message]) -> dict:
    return {
        "session_id": str(session.id),
        "profile_id": session.profile_id,
        "name": session.name,
        "pinned": session.pinned,
        "context_token_count": session.context_token_count,
        "max_context_tokens": session_max_context(session),
        "created_at": iso(session.created_at),
        "last_active": iso(session.last_active),
        "messages": [message_dict(m) for m in messages],
    }
