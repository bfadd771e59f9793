"""The session endpoints take JSON types as they are: a string is a JSON string, a boolean `true` or `false`."""

from __future__ import annotations

import pytest
from django.test import Client

from sessions_app.models import Session

pytestmark = pytest.mark.django_db


def error_of(response, status: int = 400) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "error"}
    return body["detail"]


@pytest.mark.parametrize("profile_id", [5, 1.5, True, None, ["secretary"], {"id": "secretary"}])
def test_creating_a_session_takes_the_profile_id_only_as_a_string(profile_id):
    assert "profile_id" in error_of(Client().post("/sessions", {"profile_id": profile_id}, "application/json"))
    assert not Session.objects.exists()


@pytest.mark.parametrize("pinned", ["yes", "true", 1, 0, "1", None, [], {}])
def test_pinning_takes_only_a_json_boolean_and_changes_nothing_otherwise(pinned):
    client = Client()
    sid = client.post("/sessions", {"profile_id": "secretary"}, "application/json").json()["session_id"]
    assert "pinned" in error_of(client.patch(f"/sessions/{sid}/pin", {"pinned": pinned}, "application/json"))
    assert Session.objects.get(id=sid).pinned is False
    assert client.patch(f"/sessions/{sid}/pin", {"pinned": True}, "application/json").json()["pinned"] is True


NOT_FOUND = b'{"detail":"Session not found","error":"Session not found"}'
NOT_FOUND_PLAIN = b'{"detail": "Session not found", "error": "Session not found"}'  # JsonResponse's separators


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/sessions/{sid}", None),
        ("delete", "/sessions/{sid}", None),
        ("patch", "/sessions/{sid}/pin", {"pinned": True}),
        ("get", "/sessions/{sid}/context", None),
        ("get", "/sessions/{sid}/planning", None),
        ("post", "/sessions/{sid}/stop", None),
        ("post", "/sessions/{sid}/approvals/call-1", {"approved": True}),
    ],
)
@pytest.mark.parametrize("sid", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "1234"])
def test_a_malformed_session_id_in_the_path_is_the_same_404_as_a_missing_session(method, path, body, sid):
    client = Client()
    response = getattr(client, method)(path.format(sid=sid), body, "application/json")
    assert (response.status_code, response.content) == (404, NOT_FOUND)


@pytest.mark.parametrize("path", ["/sessions/{sid}/messages", "/sessions/{sid}/generate-name"])
@pytest.mark.parametrize("sid", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_the_plain_views_answer_a_malformed_session_id_as_a_missing_session(path, sid):
    response = Client().post(path.format(sid=sid), {"content": "hi"}, "application/json")
    assert (response.status_code, response.content) == (404, NOT_FOUND_PLAIN)


def test_a_bad_body_is_answered_before_a_malformed_session_id():
    response = Client().patch("/sessions/not-a-uuid/pin", {"pinned": "yes"}, "application/json")
    assert "pinned" in error_of(response)
    response = Client().post("/sessions/not-a-uuid/approvals/call-1", {"approved": "yes"}, "application/json")
    assert error_of(response) == "approved must be true or false"
