"""The console's lists make as many queries for 40 rows as for 4: related rows come in the list's own query,
so a page of a 100k-row table costs the same handful of queries as a page of a small one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts_app.auth_sessions import auth_session_create
from accounts_app.models import User
from admin_app.services import profile_availability_change, user_role_change
from agents_app.models import MemoryFact, TodoItem
from sessions_app.models import Message, PlanningLog, Run, RunStatus, Session

pytestmark = pytest.mark.django_db

LISTS = [
    "accounts_app/user",
    "accounts_app/authsession",
    "sessions_app/session",
    "sessions_app/message",
    "sessions_app/run",
    "sessions_app/planninglog",
    "agents_app/todoitem",
    "agents_app/memoryfact",
    "admin_app/auditentry",
    "agents_app/profileavailability",
]


def _rows(n: int, admin: User, start: int) -> None:
    for i in range(start, start + n):
        user = User.objects.create(username=f"u{i}", email=f"u{i}@example.test")
        auth_session_create(user=user)
        session = Session.objects.create(user=user, profile_id="secretary", last_active=timezone.now())
        run = Run.objects.create(session=session, status=RunStatus.COMPLETED)
        Message.objects.create(session=session, run=run, role="user", content=f"hello {i}")
        PlanningLog.objects.create(session=session, run=run, phases=[{"phase": "plan", "output": "x"}])
        TodoItem.objects.create(user=user, text=f"todo {i}")
        MemoryFact.objects.create(user=user, key=f"k{i}", value="v")
        user_role_change(actor=admin, user_id=user.id, role="admin")
        user_role_change(actor=admin, user_id=user.id, role="user")
    profile_availability_change(actor=admin, profile_id="secretary", is_admin_only=start % 2 == 0)


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/django-admin/{path}/")
    assert page.status_code == 200, path
    return len(queries)


def test_list_pages_cost_the_same_few_queries_however_many_rows(client, django_user_model):
    admin = django_user_model.objects.create_superuser(
        username="root", password="pw", email="r@example.test", role="admin"
    )
    client.force_login(admin)
    _rows(4, admin, 0)
    few = {path: _queries(client, path) for path in LISTS}
    _rows(36, admin, 4)
    many = {path: _queries(client, path) for path in LISTS}
    assert many == few
    assert max(few.values()) <= 12
