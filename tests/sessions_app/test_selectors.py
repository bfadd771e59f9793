"""The reads of sessions, messages and runs: scoped to their user, in the order the API promises."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts_app.services import UserClaims, user_get_or_create_owner, user_sync_from_login
from navi_project.errors import ApplicationError
from sessions_app import selectors
from sessions_app.models import Message, Role, Run, RunStatus, Session
from sessions_app.services.messages import message_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return user_get_or_create_owner()


@pytest.fixture
def stranger():
    return user_sync_from_login(claims=UserClaims(sub="stranger-sub", email="stranger@example.org"))


def new_session(user, *, minutes_ago: int = 0, pinned: bool = False) -> Session:
    return Session.objects.create(
        user=user, profile_id="secretary", pinned=pinned, last_active=timezone.now() - timedelta(minutes=minutes_ago)
    )


def add(session: Session, role: str, content: str | None, **fields) -> Message:
    return message_add(session_id=session.id, role=role, content=content, **fields)


@pytest.mark.parametrize("session_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "", None])
def test_a_malformed_or_unknown_id_is_a_404(owner, session_id):
    with pytest.raises(ApplicationError) as refused:
        selectors.session_get_for_user(user=owner, session_id=session_id)
    assert refused.value.status == 404


def test_another_users_session_is_as_unknown_as_a_missing_one(owner, stranger):
    session = new_session(owner)
    with pytest.raises(ApplicationError) as refused:
        selectors.session_get_for_user(user=stranger, session_id=session.id)
    assert (refused.value.status, refused.value.message) == (404, "Session not found")
    assert selectors.session_get_for_user(user=owner, session_id=str(session.id)) == session


def test_the_list_is_the_users_own_pinned_first_then_most_recently_active(owner, stranger):
    old, recent, pinned_old = (
        new_session(owner, minutes_ago=30),
        new_session(owner),
        new_session(owner, minutes_ago=60, pinned=True),
    )
    new_session(stranger)
    listed = [json.loads(text)["session_id"] for text in selectors.session_list_for_user(user=owner)]
    assert listed == [str(s.id) for s in (pinned_old, recent, old)]


def test_the_list_counts_displayed_messages_and_previews_the_last_text_but_not_a_compression_marker(owner):
    session = new_session(owner)
    add(session, Role.USER, "first question")
    add(session, Role.ASSISTANT, "the last real answer")
    add(session, Role.SYSTEM, "summary only the model sees", in_display=False, is_summary=True)
    add(session, Role.ASSISTANT, None, tool_calls=[{"function": {"name": "todo", "arguments": {}}}])
    add(session, Role.SYSTEM, "Earlier messages were summarized", is_compression=True)

    (listed,) = map(json.loads, selectors.session_list_for_user(user=owner))
    assert (listed["message_count"], listed["preview"]) == (4, "the last real answer")


def test_display_and_context_are_two_views_of_the_same_rows_in_order(owner):
    session = new_session(owner)
    old = add(session, Role.USER, "old", in_context=False)
    summary = add(session, Role.SYSTEM, "summary", in_display=False, is_summary=True)
    new = add(session, Role.USER, "new")
    assert list(selectors.session_display_messages(session=session)) == [old, new]
    assert list(selectors.session_context_messages(session=session)) == [summary, new]


def test_only_a_queued_or_running_run_is_active(owner):
    session = new_session(owner)
    assert selectors.run_active_for_session(session_id=session.id) is None
    Run.objects.create(session=session, status=RunStatus.COMPLETED)
    Run.objects.create(session=session, status=RunStatus.FAILED)
    assert selectors.run_active_for_session(session_id=session.id) is None
    running = Run.objects.create(session=session, status=RunStatus.RUNNING)
    assert selectors.run_active_for_session(session_id=session.id) == running


def test_the_opening_messages_are_the_first_texts_the_user_saw(owner):
    session = new_session(owner)
    first = add(session, Role.USER, "plan my week")
    add(session, Role.ASSISTANT, "1. Monday ...", is_plan=True)
    add(session, Role.ASSISTANT, "", tool_calls=[{"function": {"name": "todo", "arguments": {}}}])
    add(session, Role.TOOL, "added")
    answer = add(session, Role.ASSISTANT, "Here is your week")
    add(session, Role.USER, "thanks")
    assert selectors.session_opening_messages(session=session, limit=2) == [first, answer]
