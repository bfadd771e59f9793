"""GET /admin/users and PATCH /admin/users/{id}/role over real HTTP: role admin only."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from tests.admin_app.conftest import detail
from tests.admin_app.seeding import seed
from tests.e2e.client import rest
from tests.e2e.oauth_users import new_account, signed_in

ALL = {"navi.sessions.read_all", "navi.memory.read_all", "navi.profiles.manage"}
USER_FIELDS = {
    "id", "email", "display_name", "role", "permissions", "effective_permissions", "is_active", "created_at",
    "updated_at",
}  # fmt: skip


@pytest.fixture
def newcomer(oauth_navi):
    """A fresh user, signed in (the roles of the shared people never change)."""
    account = new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, account) as client:
        client.user_id = client.get("/auth/me").json()["id"]
        client.account = account
        yield client


def test_admins_list_every_user_newest_first(people):
    response = people["admin"].client.get("/admin/users")
    assert response.status_code == 200
    users = response.json()
    by_id = {u["id"]: u for u in users}
    assert {p.id for p in people.values()} <= set(by_id)
    assert all(set(u) == USER_FIELDS for u in users)
    keys = [(datetime.fromisoformat(u["created_at"]), u["id"]) for u in users]
    assert keys == sorted(keys, reverse=True)
    reader = by_id[people["memory_reader"].id]
    assert reader["role"] == "user" and reader["email"] == people["memory_reader"].account.email
    assert reader["permissions"] == reader["effective_permissions"] == ["navi.memory.read_all"]
    assert reader["display_name"] == people["memory_reader"].account.display_name and reader["is_active"] is True
    admin = by_id[people["admin"].id]
    assert admin["role"] == "admin" and admin["permissions"] == [] and set(admin["effective_permissions"]) == ALL


@pytest.mark.parametrize("who", ["plain", "every_permission", "profiles_manager"])
def test_users_without_role_admin_get_403_even_with_every_permission(people, who):
    for response in (
        people[who].client.get("/admin/users"),
        people[who].client.patch(f"/admin/users/{people[who].id}/role", json={"role": "admin"}),
    ):
        assert response.status_code == 403 and detail(response) == "This needs the role admin"
    assert people[who].client.get("/auth/me").json()["role"] == "user"


def test_nobody_signed_in_gets_401(anonymous, people):
    assert anonymous.get("/admin/users").status_code == 401
    assert anonymous.patch(f"/admin/users/{people['plain'].id}/role", json={"role": "admin"}).status_code == 401


def test_promoting_and_demoting_takes_effect_at_once_with_the_console_in_step(oauth_navi, people, newcomer):
    admin = people["admin"].client
    assert newcomer.get("/admin/users").status_code == 403
    assert newcomer.get("/django-admin/", follow_redirects=False).status_code == 302

    assert admin.patch(f"/admin/users/{newcomer.user_id}/role", json={"role": "admin"}).json() == {"ok": True}
    me = newcomer.get("/auth/me").json()
    assert me["role"] == "admin" and set(me["permissions"]) == ALL
    assert newcomer.get("/admin/users").status_code == 200
    assert newcomer.get("/django-admin/").status_code == 200  # staff and superuser now, through the Navi login
    fields = seed(oauth_navi, action="user_fields", user_id=newcomer.user_id)
    assert fields == {"role": "admin", "is_staff": True, "is_superuser": True}

    assert admin.patch(f"/admin/users/{newcomer.user_id}/role", json={"role": "user"}).json() == {"ok": True}
    assert newcomer.get("/auth/me").json()["role"] == "user"
    assert newcomer.get("/admin/sessions").status_code == 403
    assert newcomer.get("/django-admin/", follow_redirects=False).status_code == 302
    fields = seed(oauth_navi, action="user_fields", user_id=newcomer.user_id)
    assert fields == {"role": "user", "is_staff": False, "is_superuser": False}

    # Both changes are in the audit trail: who, what, when, old and new value.
    page = admin.get("/django-admin/admin_app/auditentry/", params={"q": newcomer.user_id})
    assert page.status_code == 200
    assert page.text.count(f'<td class="field-target_id">{newcomer.user_id}</td>') == 2
    assert '<td class="field-old_value">{&quot;role&quot;: &quot;user&quot;}</td>' in page.text
    assert '<td class="field-old_value">{&quot;role&quot;: &quot;admin&quot;}</td>' in page.text
    assert people["admin"].account.email in page.text


def test_the_changed_role_holds_until_the_next_login(oauth_navi, people, newcomer):
    admin = people["admin"].client
    assert admin.patch(f"/admin/users/{newcomer.user_id}/role", json={"role": "admin"}).status_code == 200
    assert newcomer.get("/auth/me").json()["role"] == "admin"
    # The sign-in server still says `user`: the next login refreshes the cached role from it.
    with signed_in(oauth_navi, newcomer.account) as again:
        assert again.get("/auth/me").json()["role"] == "user"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"role": "owner"}, "role: must be admin or user"),
        ({"role": "ADMIN"}, "role: must be admin or user"),
        ({"role": ""}, "role: must be admin or user"),
        ({"role": None}, "role: This field may not be null."),
        ({}, "role: This field is required."),
        (["admin"], "non_field_errors: Invalid data. Expected a dictionary, but got list."),
    ],
)
def test_a_bad_role_answers_400_and_changes_nothing(people, newcomer, body, message):
    response = people["admin"].client.patch(f"/admin/users/{newcomer.user_id}/role", json=body)
    assert response.status_code == 400 and detail(response) == message
    assert newcomer.get("/auth/me").json()["role"] == "user"


@pytest.mark.parametrize("user_id", [str(uuid.uuid4()), "nobody", "00000000-0000-0000-0000-00000000000g"])
def test_an_unknown_user_answers_404(people, user_id):
    response = people["admin"].client.patch(f"/admin/users/{user_id}/role", json={"role": "admin"})
    assert response.status_code == 404 and detail(response) == "User not found"


def test_a_body_that_is_not_json_answers_415(people, newcomer):
    response = people["admin"].client.patch(
        f"/admin/users/{newcomer.user_id}/role",
        content="role=admin",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert newcomer.get("/auth/me").json()["role"] == "user"


def test_a_cross_site_request_is_refused_but_an_app_with_a_bearer_is_not(oauth_navi, people, bearer_of, newcomer):
    url = f"/admin/users/{newcomer.user_id}/role"
    foreign = people["admin"].client.patch(url, json={"role": "admin"}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert newcomer.get("/auth/me").json()["role"] == "user"
    with rest(oauth_navi.url) as app:
        bearer = {"Authorization": f"Bearer {bearer_of('admin')}", "Origin": "https://evil.example"}
        assert app.patch(url, json={"role": "admin"}, headers=bearer).json() == {"ok": True}
    assert newcomer.get("/auth/me").json()["role"] == "admin"


def test_the_local_owner_is_the_last_admin_and_cannot_be_demoted(live):
    with rest(live.url) as owner:
        me = owner.get("/auth/me").json()
        users = owner.get("/admin/users").json()
        assert [u["id"] for u in users if u["role"] == "admin"] == [me["id"]]
        response = owner.patch(f"/admin/users/{me['id']}/role", json={"role": "user"})
        assert response.status_code == 400
        assert detail(response) == "This is the last admin: make another user admin before demoting this one"
        assert owner.get("/auth/me").json()["role"] == "admin"
        assert owner.get("/admin/users").status_code == 200
        # Setting the role it already has changes nothing and is fine.
        assert owner.patch(f"/admin/users/{me['id']}/role", json={"role": "admin"}).json() == {"ok": True}
