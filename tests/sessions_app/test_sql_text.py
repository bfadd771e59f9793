"""The database writes times exactly as Python would (`isoformat()` in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from accounts_app.services import user_get_or_create_owner
from sessions_app.models import Session
from sessions_app.sql_text import IsoDateTime

pytestmark = pytest.mark.django_db

TIMES = [
    datetime(2026, 4, 10, 18, 0, tzinfo=UTC),  # no microseconds: none written
    datetime(2026, 4, 10, 18, 0, 5, 123456, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 5, tzinfo=UTC),  # leading zeros of the microseconds kept
    datetime(2027, 1, 1, 1, 30, 0, 500000, tzinfo=timezone(timedelta(hours=2))),  # stored, and shown, in UTC
    datetime(1999, 2, 3, 4, 5, 6, 100, tzinfo=UTC),
]


def test_times_read_as_text_are_what_python_writes():
    owner = user_get_or_create_owner()
    for i, when in enumerate(TIMES):
        Session.objects.create(user=owner, profile_id=f"p{i}", last_active=when)
    rows = Session.objects.values_list("last_active", IsoDateTime("last_active"))
    assert len(rows) == len(TIMES)
    for when, when_text in rows:
        assert when_text == when.isoformat()
    assert sorted(text for _, text in rows) == sorted(when.astimezone(UTC).isoformat() for when in TIMES)
