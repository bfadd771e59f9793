"""Session names: a short title the model gives the conversation (POST /sessions/{id}/generate-name).

The model call is awaited between two synchronous steps (`session_naming_prepare`, then `session_name_set`), so
waiting for the model holds neither the thread that synchronous views and the ORM share nor a transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from channels.db import database_sync_to_async

from agents_app.engine import ChatMessage, LLMError
from agents_app.ollama import default_llm
from agents_app.profiles import profile_get
from navi_project.errors import ApplicationError
from sessions_app.models import Role
from sessions_app.selectors import session_get_for_user, session_opening_messages
from sessions_app.services.naming import session_name_set

if TYPE_CHECKING:
    from accounts_app.models import User

NAME_MAX_CHARS = 60
MESSAGES_SHOWN = 6  # the start of a conversation says what it is about
MESSAGE_CHARS = 500
QUOTES = "\"'`“”‘’«»„"
NAMING_INSTRUCTIONS = (
    "You name conversations. Give the conversation below a short title, at most six words, that says what it is "
    "about, in the language of the conversation. Answer with the title only: no quotes, no final punctuation, no "
    "explanation."
)
_LABEL = re.compile(r"^(title|name)\s*:\s*", re.I)


@dataclass(frozen=True)
class NamingRequest:
    """What to ask the model for an unnamed session with at least one user message."""

    session_id: UUID
    model: str | None  # None: the profile is gone, so the fallback name is used
    options: dict
    transcript: str
    fallback: str  # the first user message, cleaned: used when the model says nothing usable


def name_clean(text: str) -> str:
    """One line, trimmed, no quotes, at most NAME_MAX_CHARS (cut at a word boundary when there is one)."""
    line = next((candidate.strip() for candidate in (text or "").splitlines() if candidate.strip()), "")
    line = _LABEL.sub("", line.lstrip("#*- ").strip())
    line = " ".join(line.translate({ord(q): None for q in QUOTES}).split()).strip("*_ ").rstrip(".:;,")
    if len(line) > NAME_MAX_CHARS:
        cut = line[: NAME_MAX_CHARS + 1]  # one more, to see whether the cut falls between two words
        line = cut.rsplit(" ", 1)[0] if " " in cut else cut[:NAME_MAX_CHARS]
    return line.strip()


def session_naming_prepare(*, user: User, session_id: UUID) -> str | NamingRequest | None:
    """The session's name if it has one, None while it has no user message, else what to ask the model."""
    session = session_get_for_user(user=user, session_id=session_id)
    if session.name:
        return session.name
    messages = session_opening_messages(session=session, limit=MESSAGES_SHOWN)
    first_user = next((m for m in messages if m.role == Role.USER), None)
    if first_user is None:
        return None
    profile = profile_get(profile_id=session.profile_id)
    return NamingRequest(
        session_id=session.id,
        model=profile.model if profile else None,
        options=dict(profile.options) if profile else {},
        transcript="\n".join(f"{m.role.capitalize()}: {(m.content or '').strip()[:MESSAGE_CHARS]}" for m in messages),
        fallback=name_clean(first_user.content or ""),
    )


async def _ask_model(ask: NamingRequest) -> str:
    if ask.model is None:
        return ""
    messages = [
        ChatMessage(role="system", content=NAMING_INSTRUCTIONS),
        ChatMessage(role="user", content=ask.transcript),
    ]
    try:
        answer = await default_llm().complete(model=ask.model, messages=messages, options=ask.options, think=False)
        return answer.text
    except LLMError as exc:
        raise ApplicationError(f"The name could not be generated: {exc}", 502) from None


async def session_name_generate(*, user: User, session_id: UUID) -> str | None:
    """The session's name, asking the model for one if it has none yet; None while it has no user message."""
    ask = await database_sync_to_async(session_naming_prepare)(user=user, session_id=session_id)
    if not isinstance(ask, NamingRequest):
        return ask
    name = name_clean(await _ask_model(ask)) or ask.fallback
    return await database_sync_to_async(session_name_set)(session_id=ask.session_id, name=name)
