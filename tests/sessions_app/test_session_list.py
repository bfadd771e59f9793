"""GET /sessions: the plain list the reference describes by default, pages of it on request (`limit`, `before`:
walking them gives the plain list exactly, ties and all), a 400 in the one error shape for a bad parameter;
and GET /sessions/{id} shows its messages as it always has."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts_app.services import UserClaims, user_get_or_create_owner, user_sync_from_login
from sessions_app.models import Role, Session
from sessions_app.services.messages import message_add

pytestmark = pytest.mark.django_db

SUMMARY_FIELDS = {"session_id", "profile_id", "name", "message_count", "preview", "pinned", "created_at", "last_active"}


@pytest.fixture
def owner():
    return user_get_or_create_owner()


@pytest.fixture
def sessions(owner) -> list[Session]:
    """13 sessions with ties: 3 times of last activity, 4 pinned; session i has i messages."""
    when = timezone.now()
    made = [
        Session.objects.create(
            user=owner, profile_id="secretary", pinned=i % 4 == 0, last_active=when - timedelta(minutes=i % 3)
        )
        for i in range(13)
    ]
    for i, session in enumerate(made):
        for n in range(i):
            message_add(session_id=session.id, role=Role.USER if n % 2 == 0 else Role.ASSISTANT, content=f"{i}-{n}")
    return made


def listed(client: Client, **params) -> list[dict]:
    response = client.get("/sessions", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_plain_list_is_every_session_pinned_first_then_latest_with_its_count_and_preview(owner, sessions):
    stranger = user_sync_from_login(claims=UserClaims(sub="stranger-sub", email="stranger@example.org"))
    Session.objects.create(user=stranger, profile_id="secretary", last_active=timezone.now())
    rows = listed(Client())
    assert len(rows) == 13 and all(set(row) == SUMMARY_FIELDS for row in rows)
    expected = sorted(sessions, key=lambda s: (s.pinned, s.last_active, s.id), reverse=True)  # ties: by id
    assert [row["session_id"] for row in rows] == [str(s.id) for s in expected]
    by_id = {str(s.id): i for i, s in enumerate(sessions)}
    for row in rows:
        i = by_id[row["session_id"]]
        assert row["message_count"] == i
        assert row["preview"] == (f"{i}-{i - 1}" if i else "")
        assert row["created_at"] == sessions[i].created_at.isoformat()
        assert row["last_active"] == sessions[i].last_active.isoformat()


@pytest.mark.parametrize("limit", [1, 2, 5, 13, 500])
def test_walking_the_pages_gives_the_plain_list_exactly(sessions, limit):
    client = Client()
    whole, walked, before = listed(client), [], None
    while True:
        page = listed(client, limit=limit, **({"before": before} if before else {}))
        assert len(page) <= limit
        walked.extend(page)
        if len(page) < limit:
            break
        before = page[-1]["session_id"]
    assert walked == whole


def test_before_alone_lists_every_session_after_it(sessions):
    client = Client()
    whole = listed(client)
    assert listed(client, before=whole[3]["session_id"]) == whole[4:]
    assert listed(client, before=whole[-1]["session_id"]) == []


def error_of(response) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "error"} and body["detail"] == body["error"]
    return body["detail"]


@pytest.mark.parametrize("limit", ["0", "-1", "501", "ten", "", "1.5"])
def test_a_bad_limit_is_a_400_naming_it(sessions, limit):
    assert error_of(Client().get("/sessions", {"limit": limit})).startswith("limit: ")


@pytest.mark.parametrize("before", ["not-a-uuid", "", "1234"])
def test_a_malformed_before_is_a_400_naming_it(sessions, before):
    assert error_of(Client().get("/sessions", {"before": before})).startswith("before: ")


def test_before_naming_no_session_of_the_users_is_a_400(sessions):
    stranger = user_sync_from_login(claims=UserClaims(sub="stranger-sub", email="stranger@example.org"))
    theirs = Session.objects.create(user=stranger, profile_id="secretary", last_active=timezone.now())
    for before in (uuid.uuid4(), theirs.id):
        detail = error_of(Client().get("/sessions", {"before": str(before), "limit": 5}))
        assert detail == "before: no session of yours has this id"


def test_the_history_shows_each_message_with_the_fields_it_has(owner):
    session = Session.objects.create(user=owner, profile_id="secretary", last_active=timezone.now())
    call = {"id": "c1", "function": {"name": "todo", "arguments": {"action": "list"}}}
    message_add(session_id=session.id, role=Role.USER, content="hi", images=["aGVsbG8="])
    message_add(session_id=session.id, role=Role.SYSTEM, content="hidden", in_display=False)
    message_add(session_id=session.id, role=Role.ASSISTANT, content=None, tool_calls=[call], thinking="hmm")
    tool = message_add(session_id=session.id, role=Role.TOOL, content="[]", tool_call_id="c1", name="todo")
    message_add(session_id=session.id, role=Role.ASSISTANT, content="done", token_count=5, elapsed_seconds=0.5)
    message_add(session_id=session.id, role=Role.SYSTEM, content="Compressed.", is_compression=True)
    body = Client().get(f"/sessions/{session.id}").json()
    assert [{k: v for k, v in m.items() if k != "created_at"} for m in body["messages"]] == [
        {"role": "user", "content": "hi", "images": ["aGVsbG8="]},
        {"role": "assistant", "content": None, "tool_calls": [call], "thinking": "hmm"},
        {"role": "tool", "content": "[]", "tool_call_id": "c1", "name": "todo"},
        {"role": "assistant", "content": "done", "elapsed_seconds": 0.5, "token_count": 5},
        {"role": "system", "content": "Compressed.", "is_compression": True},
    ]
    assert body["messages"][2]["created_at"] == tool.created_at.isoformat()
    assert listed(Client())[0] | {"created_at": None, "last_active": None} == {
        "session_id": str(session.id),
        "profile_id": "secretary",
        "name": None,
        "message_count": 5,
        "preview": "done",
        "pinned": False,
        "created_at": None,
        "last_active": None,
    }
