"""GET /admin/sessions over real HTTP: every user's sessions, for holders of navi.sessions.read_all only.

Runs on the embedded backends and, with DATABASE_URL / REDIS_URL, on PostgreSQL with two front ends.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from tests.admin_app.conftest import detail
from tests.admin_app.seeding import seed
from tests.e2e.client import rest

SORTS = ("last_active", "created_at", "name", "profile_id", "user_id", "pinned")
ITEM_FIELDS = {"session_id", "profile_id", "user_id", "name", "message_count", "pinned", "created_at", "last_active"}


@pytest.fixture(scope="module")
def thousand(oauth_navi):
    """1,000 sessions of 3 new users, with ties in every sort field (tests/admin_app/seeding.py)."""
    tag = f"s{uuid.uuid4().hex[:8]}"
    made = seed(oauth_navi, action="sessions", tag=tag, sessions=1000, users=3)
    made["tag"] = tag
    yield made
    seed(oauth_navi, action="cleanup", tag=tag)


def _key(item: dict, sort_by: str):
    value = item[sort_by]
    if sort_by in ("created_at", "last_active"):
        return datetime.fromisoformat(value)
    if sort_by == "name":
        return (value is not None, value or "")  # no name sorts first going up, last going down
    return value


def _walk(client, limit: int, **params) -> tuple[list[dict], set[int]]:
    """Every page from offset 0 until the total is reached; returns the items and the totals seen."""
    items, totals, offset = [], set(), 0
    while True:
        page = client.get("/admin/sessions", params={"limit": limit, "offset": offset, **params})
        assert page.status_code == 200, page.text
        body = page.json()
        assert (body["limit"], body["offset"]) == (limit, offset)
        assert len(body["items"]) == min(limit, max(body["total"] - offset, 0))
        totals.add(body["total"])
        items += body["items"]
        offset += limit
        if offset >= body["total"]:
            return items, totals


@pytest.mark.parametrize("sort_by", SORTS)
@pytest.mark.parametrize("sort_order", ["asc", "desc"])
def test_walking_every_page_sees_each_session_once_in_a_stable_order(people, thousand, sort_by, sort_order):
    client = people["sessions_reader"].client
    items, totals = _walk(client, 97, sort_by=sort_by, sort_order=sort_order)
    ids = [item["session_id"] for item in items]
    assert len(ids) == len(set(ids)), "a session came back on two pages"
    assert totals == {len(ids)}, "the total changed, or a row was skipped"
    seeded = set(thousand["sessions"])
    assert seeded <= set(ids), f"{len(seeded - set(ids))} sessions were never on any page"
    # The seeded rows, in the order the pages gave them, are sorted by the field, ties by session id.
    mine = [item for item in items if item["session_id"] in seeded]
    expected = sorted(mine, key=lambda i: (_key(i, sort_by), i["session_id"]), reverse=sort_order == "desc")
    assert [i["session_id"] for i in mine] == [i["session_id"] for i in expected]
    assert {i["user_id"] for i in mine} == set(thousand["users"])  # every user's sessions, not the reader's


def test_items_carry_the_reference_fields_and_the_message_count(people, thousand):
    position = {sid: i for i, sid in enumerate(thousand["sessions"])}
    items, _ = _walk(people["admin"].client, 500, search=thousand["users"][0])
    assert {i["session_id"] for i in items} == {sid for sid in thousand["sessions"] if position[sid] % 3 == 0}
    for item in items:
        assert set(item) == ITEM_FIELDS
        index = position[item["session_id"]]
        assert item["user_id"] == thousand["users"][0]
        assert item["message_count"] == (2 if index % 4 == 0 else 0)
        assert item["pinned"] is (index % 11 < 4)
        assert item["profile_id"] == ("secretary", "toolbox")[index % 2]
        assert item["last_active"].endswith("+00:00") and item["created_at"].endswith("+00:00")


def test_a_users_own_session_shows_with_its_owner_messages_and_pin(oauth_navi, people):
    plain = people["plain"]
    created = plain.client.post("/sessions", json={"profile_id": "secretary"})
    assert created.status_code == 201
    sid = created.json()["session_id"]
    reply = plain.client.post(f"/sessions/{sid}/messages", json={"content": "hello admin"})
    assert reply.status_code == 200, reply.text
    assert plain.client.patch(f"/sessions/{sid}/pin", json={"pinned": True}).status_code == 200

    page = people["sessions_reader"].client.get("/admin/sessions", params={"search": sid.upper()})
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 1 and body["limit"] == 50 and body["offset"] == 0
    (item,) = body["items"]
    detail_ = plain.client.get(f"/sessions/{sid}").json()
    assert item == {
        "session_id": sid,
        "profile_id": "secretary",
        "user_id": plain.id,
        "name": None,
        "message_count": 2,
        "pinned": True,
        "created_at": detail_["created_at"],
        "last_active": detail_["last_active"],
    }
    # The owner's own list is still only theirs: the reader's cross-user view changed nothing there.
    assert [s["session_id"] for s in people["sessions_reader"].client.get("/sessions").json()].count(sid) == 0


def test_defaults_are_the_first_50_most_recently_active(people, thousand):
    body = people["sessions_reader"].client.get("/admin/sessions").json()
    assert (body["limit"], body["offset"]) == (50, 0) and len(body["items"]) == 50
    assert body["total"] >= 1000
    keys = [(datetime.fromisoformat(i["last_active"]), i["session_id"]) for i in body["items"]]
    assert keys == sorted(keys, reverse=True)


def test_the_limit_goes_from_1_to_500_and_an_offset_past_the_end_is_an_empty_page(people, thousand):
    client = people["sessions_reader"].client
    assert len(client.get("/admin/sessions", params={"limit": 1}).json()["items"]) == 1
    assert len(client.get("/admin/sessions", params={"limit": 500}).json()["items"]) == 500
    past = client.get("/admin/sessions", params={"offset": 10_000_000}).json()
    assert past["items"] == [] and past["total"] >= 1000 and past["offset"] == 10_000_000


def test_search_matches_any_case_of_the_id_name_user_or_profile(people, thousand):
    client = people["sessions_reader"].client
    tag, sessions = thousand["tag"], thousand["sessions"]

    def found(search: str) -> set[str]:
        return {i["session_id"] for i in _walk(client, 500, search=search)[0]}

    assert found(sessions[5][:13].upper()) == {sessions[5]}  # a part of the id, dashes and all
    named = found(f"ALPHA {tag.upper()}")
    assert named == {sid for i, sid in enumerate(sessions) if i % 7 == 0 and i % 8 != 7}
    assert found(thousand["users"][1].upper()) == {sid for i, sid in enumerate(sessions) if i % 3 == 1}
    toolbox = found("ToolBox")
    assert {sid for i, sid in enumerate(sessions) if i % 2 == 1} <= toolbox
    assert not {sid for i, sid in enumerate(sessions) if i % 2 == 0} & toolbox
    assert found(f"nothing-{tag}") == set()


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("limit", "0"),
        ("limit", "501"),
        ("limit", "-1"),
        ("limit", "ten"),
        ("limit", ""),
        ("limit", "1.5"),
        ("offset", "-1"),
        ("offset", "x"),
        ("offset", ""),
        ("offset", str(2**31)),
        ("sort_by", "message_count"),
        ("sort_by", ""),
        ("sort_by", "LAST_ACTIVE"),
        ("sort_order", "up"),
        ("sort_order", "DESC"),
        ("sort_order", ""),
        ("search", "x" * 201),
        ("search", "nul\x00byte"),
    ],
)
def test_a_bad_parameter_answers_400_naming_it(people, param, value):
    response = people["sessions_reader"].client.get("/admin/sessions", params={param: value})
    assert response.status_code == 400, response.text
    assert detail(response).startswith(f"{param}: ")


def test_the_sort_field_error_lists_the_fields(people):
    response = people["sessions_reader"].client.get("/admin/sessions", params={"sort_by": "size"})
    assert detail(response) == f"sort_by: must be one of {', '.join(SORTS)}"


@pytest.mark.parametrize("who", ["plain", "memory_reader", "profiles_manager"])
def test_without_the_permission_the_answer_is_403(people, who):
    response = people[who].client.get("/admin/sessions")
    assert response.status_code == 403
    assert detail(response) == "This needs the permission navi.sessions.read_all"


@pytest.mark.parametrize("who", ["sessions_reader", "every_permission", "admin"])
def test_the_permission_or_role_admin_may_read(people, who):
    assert people[who].client.get("/admin/sessions", params={"limit": 1}).status_code == 200


def test_an_app_with_a_bearer_token_is_judged_the_same(oauth_navi, bearer_of):
    with rest(oauth_navi.url) as app:
        reader = {"Authorization": f"Bearer {bearer_of('sessions_reader')}"}
        assert app.get("/admin/sessions", params={"limit": 1}, headers=reader).status_code == 200
        plain = {"Authorization": f"Bearer {bearer_of('plain')}"}
        assert app.get("/admin/sessions", headers=plain).status_code == 403
        assert app.get("/admin/sessions", headers={"Authorization": "Bearer not-a-session"}).status_code == 401


def test_nobody_signed_in_gets_401(anonymous):
    response = anonymous.get("/admin/sessions")
    assert response.status_code == 401 and detail(response)


def test_the_local_owner_reads_every_session(live):
    with rest(live.url) as owner:
        created = owner.post("/sessions", json={"profile_id": "secretary"}).json()["session_id"]
        body = owner.get("/admin/sessions", params={"search": created}).json()
        assert [i["session_id"] for i in body["items"]] == [created]
        assert owner.get("/admin/sessions", params={"limit": "0"}).status_code == 400
