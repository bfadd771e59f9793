"""session_compress_context: one transaction that swaps the old context for a summary and leaves the display alone."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts_app.services import user_get_or_create_owner
from sessions_app.models import Message, Session
from sessions_app.selectors import session_context_messages, session_display_messages
from sessions_app.services.compression import session_compress_context

pytestmark = pytest.mark.django_db

SUMMARY = {"role": "system", "content": "Summary: they talked.", "is_summary": True}
MARKER = {"role": "system", "content": "Context compressed.", "is_compression": True}


def conversation() -> Session:
    owner = user_get_or_create_owner()
    session = Session.objects.create(user=owner, profile_id="secretary", last_active=timezone.now())
    rows = [("user", "one", {}), ("assistant", "first", {}), ("user", "two", {}),
            ("assistant", None, {"tool_calls": [{"id": "c1", "name": "todo", "arguments": {}}]}),
            ("tool", "nothing", {"tool_call_id": "c1", "name": "todo"}),
            ("assistant", "second", {"token_count": 7})]  # fmt: skip
    for role, content, extra in rows:
        Message.objects.create(session=session, role=role, content=content, **extra)
    return session


def shape(messages) -> list[tuple]:
    return [(m.role, m.content, m.tool_call_id, m.is_summary, m.is_compression) for m in messages]


def test_the_context_becomes_the_summary_then_copies_of_the_kept_messages():
    session = conversation()
    display_before = shape(session_display_messages(session=session))
    originals = list(session_context_messages(session=session))
    assert session_compress_context(
        session_id=session.id, run_id=None, keep_recent=4, summary=SUMMARY, marker=MARKER
    ) == (6, 5)
    context = list(session_context_messages(session=session))
    assert shape(context) == [("system", "Summary: they talked.", None, True, False)] + shape(originals[2:])
    copies = context[1:]
    assert all(c.id > originals[-1].id for c in copies)  # after the summary, in order
    assert [c.created_at for c in copies] == [o.created_at for o in originals[2:]]
    assert copies[1].tool_calls == originals[3].tool_calls and copies[3].token_count == 7
    display = list(session_display_messages(session=session))
    assert shape(display) == display_before + [("system", "Context compressed.", None, False, True)]
    assert [m.id for m in display[:-1]] == [o.id for o in originals]


def test_keeping_nothing_leaves_only_the_summary():
    session = conversation()
    assert session_compress_context(
        session_id=session.id, run_id=None, keep_recent=0, summary=SUMMARY, marker=MARKER
    ) == (6, 1)
    assert shape(session_context_messages(session=session)) == [("system", "Summary: they talked.", None, True, False)]


def test_a_second_compression_folds_the_first_summary_away():
    session = conversation()
    session_compress_context(session_id=session.id, run_id=None, keep_recent=4, summary=SUMMARY, marker=MARKER)
    second = {**SUMMARY, "content": "Summary: all of it."}
    assert session_compress_context(
        session_id=session.id, run_id=None, keep_recent=1, summary=second, marker=MARKER
    ) == (5, 2)
    assert shape(session_context_messages(session=session)) == [
        ("system", "Summary: all of it.", None, True, False), ("assistant", "second", None, False, False),
    ]  # fmt: skip
    assert len([m for m in session_display_messages(session=session) if m.is_compression]) == 2
    assert not any(m.is_summary for m in session_display_messages(session=session))
