"""Session.listing, kept by the database's triggers (migration 0006), is exactly what the API lists of the
session, whichever way the row was written; GET /sessions is those listings in order.

These fail when the triggers are missing (a migration that remakes the table on SQLite drops them)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.test import Client
from django.utils import timezone as django_timezone

from accounts_app.services import user_get_or_create_owner
from sessions_app.models import Role, Session
from sessions_app.services.messages import message_add
from sessions_app.services.naming import session_name_set
from sessions_app.services.sessions import session_create, session_set_pinned, session_switch_profile, session_touch

pytestmark = pytest.mark.django_db

NAMES = [
    'say "hi"',
    "back\\slash \\n \\u0041",
    "line\nnext\ttab\r\b\f",
    "".join(chr(i) for i in range(1, 32)) + "\x7f",
    "émoji 😀 ünïcode 日本語",
    "\u2028\u2029 </script>",
    "",
]
TIMES = [
    datetime(2026, 4, 10, 18, 0, tzinfo=UTC),  # no microseconds: none written
    datetime(2026, 12, 31, 23, 59, 59, 5, tzinfo=UTC),  # leading zeros of the microseconds kept
    datetime(2027, 1, 1, 1, 30, 0, 500000, tzinfo=timezone(timedelta(hours=2))),  # shown in UTC
]
IDS = [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), uuid.UUID("0123abcd-4567-89ef-0123-456789abcdef")]


@pytest.fixture
def owner():
    return user_get_or_create_owner()


def expected(session: Session) -> dict:
    """What the API listed of a session before the listing existed (presenters.session_summary)."""
    session.refresh_from_db()
    return {
        "session_id": str(session.id),
        "profile_id": session.profile_id,
        "name": session.name,
        "message_count": session.message_count,
        "preview": session.preview,
        "pinned": session.pinned,
        "created_at": session.created_at.astimezone(UTC).isoformat(),
        "last_active": session.last_active.astimezone(UTC).isoformat(),
    }


def assert_listed_right(session: Session) -> None:
    listing = json.loads(Session.objects.values_list("listing", flat=True).get(id=session.id))
    want = expected(session)
    assert listing == want
    assert list(listing) == list(want)  # the keys in the API's order


def test_a_new_session_is_listed_with_no_name_no_messages_and_its_times(owner):
    session = session_create(user=owner, profile_id="secretary")
    assert_listed_right(session)
    assert json.loads(Session.objects.get(id=session.id).listing)["name"] is None


def test_pinning_unpinning_touching_and_switching_profile_are_listed(owner):
    session = session_create(user=owner, profile_id="secretary")
    session_set_pinned(user=owner, session_id=session.id, pinned=True)
    assert_listed_right(session)
    assert json.loads(Session.objects.get(id=session.id).listing)["pinned"] is True
    session_set_pinned(user=owner, session_id=session.id, pinned=False)
    assert_listed_right(session)
    session_touch(session_id=session.id)
    assert_listed_right(session)
    session_switch_profile(session_id=session.id, profile_id="toolbox", max_context_tokens=None)
    assert_listed_right(session)


def test_messages_are_counted_and_previewed(owner):
    session = session_create(user=owner, profile_id="secretary")
    message_add(session_id=session.id, role=Role.USER, content='a "quoted" \\ question\n' + "x" * 80, touch=True)
    assert_listed_right(session)
    message_add(session_id=session.id, role=Role.SYSTEM, content="hidden", in_display=False)
    message_add(session_id=session.id, role=Role.ASSISTANT, content="ünï 😀 answer", touch=True)
    assert_listed_right(session)
    assert expected(session)["message_count"] == 2 and expected(session)["preview"] == "ünï 😀 answer"


@pytest.mark.parametrize("name", NAMES)
def test_names_of_any_characters_are_listed_as_json_strings(owner, name):
    session = session_create(user=owner, profile_id="secretary")
    session_name_set(session_id=session.id, name=name)
    assert_listed_right(session)
    assert expected(session)["name"] == (name or None)


def test_a_save_of_the_whole_row_and_a_bulk_create_are_listed(owner):
    """The Django admin console saves whole rows (the stale listing it read among them); seeding bulk-creates."""
    session = session_create(user=owner, profile_id="secretary")
    session.name = "renamed"
    session.save()
    assert_listed_right(session)
    made = Session.objects.bulk_create(
        [Session(user=owner, profile_id="secretary", name=f"n{i}", last_active=django_timezone.now()) for i in range(3)]
    )
    for each in made:
        assert_listed_right(each)


@pytest.mark.parametrize(("sid", "when"), list(zip(IDS, TIMES, strict=True)))
def test_ids_and_times_are_written_as_python_writes_them(owner, sid, when):
    session = Session.objects.create(id=sid, user=owner, profile_id="secretary", last_active=when)
    Session.objects.filter(id=sid).update(created_at=when)
    assert_listed_right(session)
    listing = json.loads(Session.objects.get(id=sid).listing)
    assert (listing["session_id"], listing["last_active"]) == (str(sid), when.astimezone(UTC).isoformat())


def test_get_sessions_is_the_listings_as_one_json_array_in_order(owner):
    made = [session_create(user=owner, profile_id="secretary") for _ in range(4)]
    session_set_pinned(user=owner, session_id=made[2].id, pinned=True)
    session_name_set(session_id=made[1].id, name=NAMES[3])
    message_add(session_id=made[0].id, role=Role.USER, content=NAMES[4], touch=True)
    response = Client().get("/sessions")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    for session in made:
        session.refresh_from_db()
    order = sorted(made, key=lambda s: (s.pinned, s.last_active, s.id), reverse=True)
    assert response.json() == [expected(s) for s in order]
