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
