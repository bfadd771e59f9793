"""Client JSON under one set of rules (navi_project/json_body.py): plain views, DRF views and the WebSocket share
them. Each case used to reach the database or the stack's end: a 500 over REST, 1011 over the WebSocket."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from navi_project.errors import ApplicationError
from navi_project.json_body import MAX_DEPTH, json_loads
from sessions_app.models import Session

DEEP = "[" * 1000 + "]" * 1000


def nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)


def refusal(raw) -> str:
    with pytest.raises(ApplicationError) as caught:
        json_loads(raw)
    assert caught.value.status == 400
    return caught.value.message


def test_json_nested_a_thousand_deep_is_refused_naming_the_limit():
    assert f"deeper than {MAX_DEPTH}" in refusal(DEEP)
    assert f"deeper than {MAX_DEPTH}" in refusal("[" * 100_000)


def test_nesting_up_to_the_limit_is_taken_and_one_more_level_is_not():
    assert json_loads(nested(MAX_DEPTH))
    assert "deeper" in refusal(nested(MAX_DEPTH + 1))


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ('{"content": "\\ud800"}', "content"),
        ('{"images": ["ok", "\\udfff tail"]}', "images[1]"),
        ('{"\\ud83d": 1}', "the top level"),
        ('{"files": [{"name": "a\\udc00"}]}', "files[0].name"),
    ],
)
def test_a_lone_surrogate_anywhere_is_refused_saying_where(raw, where):
    message = refusal(raw)
    assert "lone surrogate" in message and where in message


def test_a_surrogate_pair_is_one_character_and_is_taken():
    assert json_loads('{"content": "\\ud83d\\ude00"}') == {"content": "\U0001f600"}


def test_nul_characters_which_postgresql_cannot_store_are_refused():
    assert "NUL" in refusal('{"content": "a\\u0000b"}')


@pytest.mark.parametrize("raw", ["NaN", '{"x": Infinity}', "[-Infinity]", "{nope", b"\xff\xfe", "1" * 5000])
def test_what_is_not_json_is_refused_as_such(raw):
    assert "JSON" in refusal(raw) or "UTF-8" in refusal(raw)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [DEEP, '{"profile_id": "\\ud800"}', '{"profile_id": "secre\\u0000tary"}', '{"profile_id": NaN}']
)
def test_drf_endpoints_answer_400_and_store_nothing(body):
    response = Client().post("/sessions", body, "application/json")
    assert response.status_code == 400 and set(response.json()) == {"detail", "error"}
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_plain_views_answer_400_for_deep_json():
    session = json.loads(Client().post("/sessions", {"profile_id": "secretary"}, "application/json").content)
    response = Client().post(f"/sessions/{session['session_id']}/messages", DEEP, "application/json")
    assert response.status_code == 400 and "deeper" in response.json()["detail"]
