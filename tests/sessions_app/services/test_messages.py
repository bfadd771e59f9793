"""A session's list fields (message_count, preview) are written with its messages: whatever path writes them
(a submit, a runner's appends, a compression, a failed run's partial answer), they always equal what the rows
say, and the migration that introduced them computed the same for the rows already there."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from sessions_app.models import Message, Role, Session
from sessions_app.services import run_progress, runs
from sessions_app.services.messages import message_add
from sessions_app.services.sessions import session_create, session_delete

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_layer")]

SUMMARY = {"role": "system", "content": "Summary: they talked.", "is_summary": True}
MARKER = {"role": "system", "content": "Earlier messages were summarized.", "is_compression": True}


def recounted(session: Session) -> tuple[int, str]:
    """What the rows say: the messages in display, and the end of the last one with text, not a marker."""
    shown = list(Message.objects.filter(session=session, in_display=True).order_by("id"))
    texts = [m.content for m in shown if m.content and not m.is_compression]
    return len(shown), texts[-1][-60:] if texts else ""


def stored(session: Session) -> tuple[int, str]:
    session.refresh_from_db()
    return session.message_count, session.preview


def submit(owner, session, content: str):
    return runs.message_submit(user=owner, session_id=session.id, message=runs.UserMessage(content=content))


def test_a_new_session_has_no_messages_and_no_preview(session):
    assert stored(session) == (0, "") == recounted(session)


def test_every_write_of_a_run_keeps_the_count_and_the_preview_of_the_display_history(owner, session):
    run = submit(owner, session, "What is on my list today?")
    assert stored(session) == (1, "What is on my list today?") == recounted(session)
    start = run_progress.run_begin(run_id=run.id)
    held = {"session_id": session.id, "run_id": run.id, "owner_token": start.owner_token}
    call = {"id": "c1", "function": {"name": "todo", "arguments": {}}}
    run_progress.message_append(**held, role=Role.ASSISTANT, content=None, tool_calls=[call])
    run_progress.message_append(**held, role=Role.TOOL, content="milk, eggs", tool_call_id="c1", name="todo")
    run_progress.message_append(**held, role=Role.ASSISTANT, content="")  # no text: the preview stays
    assert stored(session) == (4, "milk, eggs") == recounted(session)
    run_progress.message_append(**held, role=Role.SYSTEM, content="a plan nobody sees", in_display=False)
    answer = "You need to buy milk and eggs, and then " + "x" * 100 + " the end of a long answer."
    run_progress.message_append(**held, role=Role.ASSISTANT, content=answer)
    assert stored(session) == (5, answer[-60:]) == recounted(session)
    assert len(session.preview) == 60


def test_a_compression_adds_its_marker_to_the_count_but_not_to_the_preview(owner, session):
    run = submit(owner, session, "one")
    start = run_progress.run_begin(run_id=run.id)
    held = {"session_id": session.id, "run_id": run.id, "owner_token": start.owner_token}
    for text in ("first answer", "two", "second answer"):
        run_progress.message_append(**held, role=Role.ASSISTANT, content=text)
    run_progress.run_compress_context(**held, keep_recent=2, summary=SUMMARY, marker=MARKER)
    # The summary and the kept messages' context copies are not in display; the marker is, and counts.
    assert Message.objects.filter(session=session).count() == 4 + 1 + 2 + 1
    assert stored(session) == (5, "second answer") == recounted(session)


def test_a_failed_runs_partial_answer_is_the_preview(owner, session):
    run = submit(owner, session, "tell me a story")
    run_progress.run_begin(run_id=run.id)
    run.refresh_from_db()
    run.partial_content = "Once upon a time"
    run.save(update_fields=["partial_content"])
    assert runs.run_fail(run=run, reason="it broke")
    assert stored(session) == (2, "Once upon a time") == recounted(session)


def test_rows_of_one_session_leave_the_others_alone_and_a_deleted_session_takes_its_rows(owner, session):
    other = session_create(user=owner, profile_id="secretary")
    message_add(session_id=session.id, role=Role.USER, content="mine")
    message_add(session_id=other.id, role=Role.USER, content="theirs")
    message_add(session_id=other.id, role=Role.ASSISTANT, content="answer")
    session_delete(user=owner, session_id=session.id)
    assert not Message.objects.filter(session_id=session.id).exists()
    assert stored(other) == (2, "answer") == recounted(other)


def test_the_migration_computes_the_fields_of_existing_rows_as_the_writes_do(owner, session):
    other, empty = (session_create(user=owner, profile_id="secretary") for _ in range(2))
    rows = [
        (session, Role.USER, "question", {}),
        (session, Role.ASSISTANT, "ü" * 30 + "an answer longer than the sixty characters of a preview", {}),
        (session, Role.SYSTEM, "only the model sees this", {"in_display": False}),
        (session, Role.SYSTEM, "Earlier messages were summarized.", {"is_compression": True}),
        (session, Role.ASSISTANT, None, {"tool_calls": [{"id": "c1"}]}),
        (other, Role.USER, "", {}),
    ]
    for target, role, content, extra in rows:  # as rows stored before the fields existed: none counted
        Message.objects.create(session=target, role=role, content=content, **extra)
    Session.objects.update(message_count=99, preview="stale")
    backfill = importlib.import_module("sessions_app.migrations.0005_session_list_fields").backfill
    backfill(apps, None)  # it writes rows only, through the models `apps` gives it
    assert stored(session) == (4, ("ü" * 30 + "an answer longer than the sixty characters of a preview")[-60:])
    assert stored(session) == recounted(session)
    assert stored(other) == (1, "") == recounted(other)
    assert stored(empty) == (0, "")
