"""GET /admin/memory over real HTTP: every user's memory facts, for holders of navi.memory.read_all only."""

from __future__ import annotations

import uuid

import pytest

from tests.admin_app.conftest import detail
from tests.admin_app.seeding import seed
from tests.e2e.client import rest
from tests.fakes.fake_ollama import script

SORTS = ("updated_at", "category", "key", "confidence", "source")
ITEM_FIELDS = {"id", "user_id", "category", "key", "value", "source", "confidence", "updated_at"}


@pytest.fixture(scope="module")
def facts(oauth_navi):
    """60 facts of 2 new users (tests/admin_app/seeding.py): 3 categories, 2 sources, 4 confidences."""
    tag = f"m{uuid.uuid4().hex[:8]}"
    made = seed(oauth_navi, action="facts", tag=tag, facts=60, users=2)
    made["tag"] = tag
    yield made
    seed(oauth_navi, action="cleanup", tag=tag)


def _all(client, **params) -> list[dict]:
    items, offset = [], 0
    while True:
        response = client.get("/admin/memory", params={"limit": 7, "offset": offset, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        offset += 7
        if offset >= body["total"]:
            assert len(items) == body["total"]
            return items


@pytest.mark.parametrize("sort_by", SORTS)
@pytest.mark.parametrize("sort_order", ["asc", "desc"])
def test_every_sort_pages_through_the_facts_once_in_order(people, facts, sort_by, sort_order):
    items = _all(people["memory_reader"].client, search=facts["tag"], sort_by=sort_by, sort_order=sort_order)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)) and set(ids) == set(facts["facts"])
    expected = sorted(items, key=lambda i: (i[sort_by], i["id"]), reverse=sort_order == "desc")
    assert ids == [i["id"] for i in expected]


def test_items_carry_the_user_and_the_reference_fields(people, facts):
    items = _all(people["memory_reader"].client, search=facts["tag"])
    assert {i["user_id"] for i in items} == set(facts["users"])
    by_id = {i["id"]: i for i in items}
    index = {fid: n for n, fid in enumerate(facts["facts"])}
    for fid, item in by_id.items():
        n = index[fid]
        assert set(item) == ITEM_FIELDS
        assert item["user_id"] == facts["users"][n % 2]
        assert item["category"] == ("profile", "work", "Preferences")[n % 3]
        assert item["confidence"] == (50, 80, 90, 100)[n % 4]
        assert item["source"] == ("conversation", "tool")[n % 2]
        assert item["updated_at"].endswith("+00:00")
    # Newest first by default.
    assert [i["updated_at"] for i in items] == sorted((i["updated_at"] for i in items), reverse=True)


def test_user_id_limits_the_facts_to_that_user(people, facts):
    client = people["memory_reader"].client
    first = facts["users"][0]
    items = _all(client, user_id=first)
    assert {i["id"] for i in items} == {fid for n, fid in enumerate(facts["facts"]) if n % 2 == 0}
    assert client.get("/admin/memory", params={"user_id": str(uuid.uuid4())}).status_code == 404
    bad = client.get("/admin/memory", params={"user_id": "someone"})
    assert bad.status_code == 400 and detail(bad).startswith("user_id: ")


def test_search_matches_any_case_of_key_value_or_category(people, facts):
    client = people["memory_reader"].client
    tag, ids = facts["tag"], facts["facts"]
    loud = {i["id"] for i in _all(client, search="loud", user_id=facts["users"][0])}
    assert loud == {fid for n, fid in enumerate(ids) if n % 4 == 0 and n % 2 == 0}  # in values only
    keyed = {i["id"] for i in _all(client, search=f"GOLF-{tag.upper()}")}
    assert keyed == {fid for n, fid in enumerate(ids) if n % 7 == 6}  # in keys only
    categorised = {i["id"] for i in _all(client, search="preferENCES", user_id=facts["users"][1])}
    assert categorised == {fid for n, fid in enumerate(ids) if n % 3 == 2 and n % 2 == 1}


def test_a_fact_the_agent_remembered_shows_with_its_user(oauth_navi, people):
    plain = people["plain"]
    city = f"Atlantis-{uuid.uuid4().hex[:8]}"
    sid = plain.client.post("/sessions", json={"profile_id": "toolbox"}).json()["session_id"]
    remember = {"tool_calls": [{"name": "memory", "arguments": {"action": "remember", "key": "home", "value": city}}]}
    reply = plain.client.post(f"/sessions/{sid}/messages", json={"content": script(remember, {"content": "Noted."})})
    assert reply.status_code == 200 and reply.json()["content"] == "Noted.", reply.text
    (item,) = _all(people["memory_reader"].client, search=city)
    assert item["user_id"] == plain.id and item["key"] == "home" and item["value"] == city


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("limit", "0"),
        ("limit", "501"),
        ("limit", "many"),
        ("offset", "-3"),
        ("offset", "first"),
        ("sort_by", "value"),
        ("sort_by", "last_active"),
        ("sort_order", "descending"),
        ("user_id", ""),
        ("search", "\x00"),
    ],
)
def test_a_bad_parameter_answers_400_naming_it(people, param, value):
    response = people["memory_reader"].client.get("/admin/memory", params={param: value})
    assert response.status_code == 400, response.text
    assert detail(response).startswith(f"{param}: ")


@pytest.mark.parametrize("who", ["plain", "sessions_reader", "profiles_manager"])
def test_without_the_permission_the_answer_is_403(people, who):
    response = people[who].client.get("/admin/memory")
    assert response.status_code == 403
    assert detail(response) == "This needs the permission navi.memory.read_all"


@pytest.mark.parametrize("who", ["memory_reader", "every_permission", "admin"])
def test_the_permission_or_role_admin_may_read(people, who):
    body = people[who].client.get("/admin/memory", params={"limit": 500}).json()
    assert set(body) == {"total", "limit", "offset", "items"} and body["limit"] == 500


def test_nobody_signed_in_gets_401(anonymous):
    assert anonymous.get("/admin/memory").status_code == 401


def test_the_local_owner_reads_memory(live):
    with rest(live.url) as owner:
        body = owner.get("/admin/memory").json()
        assert (body["limit"], body["offset"]) == (50, 0) and isinstance(body["items"], list)
