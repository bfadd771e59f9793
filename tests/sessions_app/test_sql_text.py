"""The database writes ids and times exactly as Python would (`str(uuid)`, `isoformat()` in UTC)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from accounts_app.services import user_get_or_create_owner
from sessions_app.models import Session
from sessions_app.sql_text import IsoDateTime, UuidText

pytestmark = pytest.mark.django_db

TIMES = [
    datetime(2026, 4, 10, 18, 0, tzinfo=UTC),  # no microseconds: none written
    datetime(2026, 4, 10, 18, 0, 5, 123456, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 5, tzinfo=UTC),  # leading zeros of the microseconds kept
    datetime(2027, 1, 1, 1, 30, 0, 500000, tzinfo=timezone(timedelta(hours=2))),  # stored, and shown, in UTC
    datetime(1999, 2, 3, 4, 5, 6, 100, tzinfo=UTC),
]
IDS = [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), uuid.UUID("0123abcd-4567-89ef-0123-456789abcdef"), uuid.uuid4()]


def test_times_and_ids_read_as_text_are_what_python_writes():
    owner = user_get_or_create_owner()
    for i, (when, sid) in enumerate(zip(TIMES, IDS + [uuid.uuid4()], strict=True)):
        Session.objects.create(id=sid, user=owner, profile_id=f"p{i}", last_active=when)
    rows = Session.objects.values_list("id", "last_active", UuidText("id"), IsoDateTime("last_active"))
    assert len(rows) == len(TIMES)
    for sid, when, sid_text, when_text in rows:
        assert sid_text == str(sid)
        assert when_text == when.isoformat()
    assert sorted(text for *_, text in rows) == sorted(when.astimezone(UTC).isoformat() for when in TIMES)
