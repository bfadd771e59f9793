"""Sessions and messages as the API shows them."""

from __future__ import annotations

from django.conf import settings

from sessions_app.models import MESSAGE_FLAGS, MESSAGE_STATS, Message, Session


def iso(value) -> str | None:
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


def session_detail(session: Session, messages) -> dict:
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
