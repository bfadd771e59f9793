"""Session names: a short title the model gives the conversation (POST /sessions/{id}/generate-name)."""

from __future__ import annotations

import re

from asgiref.sync import async_to_sync
from django.db.models import Q

from navi_project.errors import ApplicationError
from sessions_app.models import Message, Role, Session
from sessions_app.selectors import session_get_for_user

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


def name_clean(text: str) -> str:
    """One line, trimmed, no quotes, at most NAME_MAX_CHARS (cut at a word boundary when there is one)."""
    line = next((candidate.strip() for candidate in (text or "").splitlines() if candidate.strip()), "")
    line = _LABEL.sub("", line.lstrip("#*- ").strip())
    line = " ".join(line.translate({ord(q): None for q in QUOTES}).split()).strip("*_ ").rstrip(".:;,")
    if len(line) > NAME_MAX_CHARS:
        cut = line[: NAME_MAX_CHARS + 1]  # one more, to see whether the cut falls between two words
        line = cut.rsplit(" ", 1)[0] if " " in cut else cut[:NAME_MAX_CHARS]
    return line.strip()


def _transcript(messages: list[Message]) -> str:
    return "\n".join(f"{m.role.capitalize()}: {(m.content or '').strip()[:MESSAGE_CHARS]}" for m in messages)


def _ask_model(session: Session, transcript: str) -> str:
    # The model port lives in agents_app (which depends on this app), hence the import here.
    from agents_app.engine import ChatMessage, LLMError
    from agents_app.ollama import default_llm
    from agents_app.profiles import profile_get

    profile = profile_get(session.profile_id)
    if profile is None:
        return ""  # the fallback name below still says what the conversation is about
    messages = [ChatMessage(role="system", content=NAMING_INSTRUCTIONS), ChatMessage(role="user", content=transcript)]
    try:
        return async_to_sync(default_llm().complete)(model=profile.model, messages=messages, options=profile.options)
    except LLMError as exc:
        raise ApplicationError(f"The name could not be generated: {exc}", 502) from None


def session_generate_name(*, user, session_id) -> str | None:
    """The session's name, generated once; None while the session has no user message."""
    session = session_get_for_user(user=user, session_id=session_id)
    if session.name:
        return session.name
    shown = (
        session.messages.filter(in_display=True, role__in=[Role.USER, Role.ASSISTANT], is_plan=False)
        .exclude(Q(content__isnull=True) | Q(content=""))
        .order_by("id")[:MESSAGES_SHOWN]
    )
    messages = list(shown)
    first_user = next((m for m in messages if m.role == Role.USER), None)
    if first_user is None:
        return None
    name = name_clean(_ask_model(session, _transcript(messages))) or name_clean(first_user.content or "")
    # A concurrent call may have named it meanwhile: the first name stays.
    Session.objects.filter(Q(name__isnull=True) | Q(name=""), id=session.id).update(name=name or None)
    return Session.objects.values_list("name", flat=True).get(id=session.id)
