"""Session names: a short title the model gives the conversation (POST /sessions/{id}/generate-name).

Two synchronous steps around the model call, so the caller can await the model without holding the thread that
synchronous views and the ORM share: `session_naming_prepare`, then `session_name_set`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q

from sessions_app.models import Role, Session
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


@dataclass(frozen=True)
class NamingRequest:
    """What to ask the model for an unnamed session with at least one user message."""

    session_id: str
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


def session_naming_prepare(*, user, session_id) -> str | NamingRequest | None:
    """The session's name if it has one, None while it has no user message, else what to ask the model."""
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
    # The profile catalogue is a plain module (no models): the one look into agents_app, as in session_create.
    from agents_app.profiles import profile_get

    profile = profile_get(session.profile_id)
    return NamingRequest(
        session_id=str(session.id),
        model=profile.model if profile else None,
        options=dict(profile.options) if profile else {},
        transcript="\n".join(f"{m.role.capitalize()}: {(m.content or '').strip()[:MESSAGE_CHARS]}" for m in messages),
        fallback=name_clean(first_user.content or ""),
    )


def session_name_set(*, session_id, name: str) -> str | None:
    """Store the name unless the session got one meanwhile (the first name stays); returns the stored name."""
    Session.objects.filter(Q(name__isnull=True) | Q(name=""), id=session_id).update(name=name or None)
    return Session.objects.values_list("name", flat=True).get(id=session_id)
