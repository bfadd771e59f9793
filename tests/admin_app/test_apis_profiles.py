"""GET /admin/profiles and PATCH /admin/profiles/{id}/availability over real HTTP (navi.profiles.manage).

The override is stored in the database and read at every check, so it holds at once on every front end and in
every runner worker: with Redis these are separate processes (two daphnes, two `runworker`s).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import fields

import httpx
import pytest
import yaml

from agents_app.profiles import Profile
from tests.admin_app.conftest import detail
from tests.admin_app.seeding import seed
from tests.e2e.client import rest
from tests.e2e.servers import ROOT
from tests.fakes.fake_ollama import script

NOTE = {"ok": True, "note": "Profile availability is managed via profile config files"}


def call(name: str, **arguments) -> dict:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


@pytest.fixture
def server_admin_reset(oauth_navi):
    """Whatever a test does to server_admin's availability, the other tests find it as its file says."""
    yield
    seed(oauth_navi, action="availability_reset", profile_ids=["server_admin"])


def _profiles(client) -> set[str]:
    response = client.get("/agents/profiles")
    assert response.status_code == 200
    return {p["id"] for p in response.json()}


def _tool_results(client, sid: str) -> list[str]:
    return [m["content"] for m in client.get(f"/sessions/{sid}").json()["messages"] if m["role"] == "tool"]


def test_every_profile_with_all_its_fields_but_the_system_prompt(people):
    response = people["profiles_manager"].client.get("/admin/profiles")
    assert response.status_code == 200
    profiles = response.json()
    assert [p["id"] for p in profiles] == sorted(p["id"] for p in profiles)
    by_id = {p["id"]: p for p in profiles}
    assert {"secretary", "server_admin", "toolbox", "tiny"} <= set(by_id)
    expected_fields = {f.name for f in fields(Profile)} - {"system_prompt"} | {"is_admin_only_in_file"}
    assert all(set(p) == expected_fields for p in profiles)
    file = yaml.safe_load((ROOT / "profiles" / "server_admin.yaml").read_text())
    admin_only = by_id["server_admin"]
    for key in ("name", "description", "model", "enabled_tools", "is_admin_only", "think", "max_iterations", "options"):
        assert admin_only[key] == file[key], key
    assert admin_only["is_admin_only_in_file"] is True and admin_only["max_context_tokens"] is None
    assert by_id["secretary"]["is_admin_only"] is False


def test_opening_an_admin_only_profile_holds_at_once_everywhere(
    oauth_navi, people, fake_ollama_server, server_admin_reset
):
    plain, manager = people["plain"].client, people["profiles_manager"].client
    # Every front end (two with Redis), and the runner workers behind them.
    fronts = [plain] + [
        httpx.Client(base_url=url, cookies=plain.cookies, timeout=30) for url in oauth_navi.front_ends[1:]
    ]
    toolbox = plain.post("/sessions", json={"profile_id": "toolbox"}).json()["session_id"]
    assert all("server_admin" not in _profiles(front) for front in fronts)
    assert plain.post("/sessions", json={"profile_id": "server_admin"}).status_code == 404

    assert manager.patch("/admin/profiles/server_admin/availability", json={"is_admin_only": False}).json() == NOTE
    for front in fronts:
        assert "server_admin" in _profiles(front)
        created = front.post("/sessions", json={"profile_id": "server_admin"})
        assert created.status_code == 201 and created.json()["profile_id"] == "server_admin"
    listed = {p["id"]: p for p in manager.get("/admin/profiles").json()}["server_admin"]
    assert listed["is_admin_only"] is False and listed["is_admin_only_in_file"] is True

    # A run (in a worker process with Redis) may hand a task to it, and switch the session to it.
    fake_ollama_server.reset()
    message = script(call("spawn_agent", task="Check the disks", profile_id="server_admin"), {"content": "Done."})
    assert plain.post(f"/sessions/{toolbox}/messages", json={"content": message}).json()["content"] == "Done."
    sub = [r for r in fake_ollama_server.requests() if r["model"] == "gemma4:26b-a4b-it-q4_K_M"]
    assert sub and sub[0]["messages"][-1]["content"] == "Check the disks"
    message = script(call("switch_profile", profile_id="server_admin"), {"content": "Switched."})
    assert plain.post(f"/sessions/{toolbox}/messages", json={"content": message}).json()["content"] == "Switched."
    assert plain.get(f"/sessions/{toolbox}").json()["profile_id"] == "server_admin"

    # Closed again: as unknown as a missing profile, at once.
    assert manager.patch("/admin/profiles/server_admin/availability", json={"is_admin_only": True}).json() == NOTE
    for front in fronts:
        assert "server_admin" not in _profiles(front)
        assert front.post("/sessions", json={"profile_id": "server_admin"}).status_code == 404
    other = plain.post("/sessions", json={"profile_id": "toolbox"}).json()["session_id"]
    message = script(call("switch_profile", profile_id="server_admin"), {"content": "Tried."})
    assert plain.post(f"/sessions/{other}/messages", json={"content": message}).json()["content"] == "Tried."
    (refused,) = _tool_results(plain, other)
    assert "there is no profile 'server_admin'" in refused
    assert plain.get(f"/sessions/{other}").json()["profile_id"] == "toolbox"
    message = script(call("spawn_agent", task="Check again", profile_id="server_admin"), {"content": "No."})
    assert plain.post(f"/sessions/{other}/messages", json={"content": message}).status_code == 200
    assert "there is no profile 'server_admin'" in _tool_results(plain, other)[-1]
    # A manager still may: the permission opens admin-only profiles.
    assert manager.post("/sessions", json={"profile_id": "server_admin"}).status_code == 201
    for front in fronts[1:]:
        front.close()


def test_changes_are_in_the_audit_trail_and_a_repeat_is_not(people, server_admin_reset):
    manager, admin = people["profiles_manager"], people["admin"].client

    def entries() -> tuple[int, str]:
        page = admin.get("/django-admin/admin_app/auditentry/", params={"q": "server_admin"})
        assert page.status_code == 200
        return page.text.count('<td class="field-target_id">server_admin</td>'), page.text

    before, _ = entries()
    for value in (False, False, True):  # the second changes nothing, so it leaves no entry
        manager.client.patch("/admin/profiles/server_admin/availability", json={"is_admin_only": value})
    after, text = entries()
    assert after == before + 2
    olds = [json.loads(html.unescape(cell)) for cell in re.findall(r'<td class="field-old_value">(.*?)</td>', text)]
    assert {"is_admin_only": True, "overridden": False} in olds  # the first change: from the file's value
    assert manager.account.email in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"is_admin_only": "false"}, "is_admin_only: must be true or false"),
        ({"is_admin_only": 0}, "is_admin_only: must be true or false"),
        ({"is_admin_only": 1}, "is_admin_only: must be true or false"),
        ({"is_admin_only": "yes"}, "is_admin_only: must be true or false"),
        ({"is_admin_only": None}, "is_admin_only: This field may not be null."),
        ({}, "is_admin_only: This field is required."),
        ([True], "non_field_errors: Invalid data. Expected a dictionary, but got list."),
    ],
)
def test_a_value_that_is_not_a_boolean_answers_400(people, body, message):
    response = people["profiles_manager"].client.patch("/admin/profiles/server_admin/availability", json=body)
    assert response.status_code == 400 and detail(response) == message
    assert "server_admin" not in _profiles(people["plain"].client)


def test_an_unknown_profile_answers_404(people):
    response = people["profiles_manager"].client.patch(
        "/admin/profiles/nope/availability", json={"is_admin_only": True}
    )
    assert response.status_code == 404 and detail(response) == "Profile 'nope' not found"


def test_a_form_body_answers_415_and_a_foreign_origin_403(people):
    client = people["profiles_manager"].client
    form = client.patch(
        "/admin/profiles/server_admin/availability",
        content="is_admin_only=false",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415
    foreign = client.patch(
        "/admin/profiles/server_admin/availability",
        json={"is_admin_only": False},
        headers={"Origin": "http://evil.example"},
    )
    assert foreign.status_code == 403
    assert "server_admin" not in _profiles(people["plain"].client)


@pytest.mark.parametrize("who", ["plain", "sessions_reader", "memory_reader"])
def test_without_the_permission_the_answer_is_403(people, who, server_admin_reset):
    client = people[who].client
    for response in (
        client.get("/admin/profiles"),
        client.patch("/admin/profiles/server_admin/availability", json={"is_admin_only": False}),
    ):
        assert response.status_code == 403
        assert detail(response) == "This needs the permission navi.profiles.manage"
    assert "server_admin" not in _profiles(client)


@pytest.mark.parametrize("who", ["profiles_manager", "every_permission", "admin"])
def test_the_permission_or_role_admin_may_manage(people, who, server_admin_reset):
    client = people[who].client
    assert client.get("/admin/profiles").status_code == 200
    assert client.patch("/admin/profiles/server_admin/availability", json={"is_admin_only": True}).json() == NOTE


def test_nobody_signed_in_gets_401(anonymous):
    assert anonymous.get("/admin/profiles").status_code == 401
    assert anonymous.patch("/admin/profiles/secretary/availability", json={"is_admin_only": True}).status_code == 401


def test_the_local_owner_manages_profiles(live):
    with rest(live.url) as owner:
        assert "server_admin" in {p["id"] for p in owner.get("/admin/profiles").json()}
        assert owner.patch("/admin/profiles/nope/availability", json={"is_admin_only": True}).status_code == 404
