"""Writes to users: the local owner, users as the OAuth server describes them, and roles."""

from __future__ import annotations

import uuid

import pytest

from accounts_app.auth_sessions import auth_session_create, auth_session_live, auth_session_still_live
from accounts_app.models import Role, User
from accounts_app.services import (
    UserClaims,
    user_deactivate,
    user_get_or_create_owner,
    user_set_role,
    user_sync_from_login,
    user_update_from_webhook,
)
from navi_project.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_the_owner_is_one_admin_however_often_asked_for():
    first, again = user_get_or_create_owner(), user_get_or_create_owner()
    assert first == again and first.role == Role.ADMIN
    assert User.objects.count() == 1


def test_a_first_login_creates_the_user_of_its_sub_and_later_logins_refresh_it():
    created = user_sync_from_login(claims=UserClaims(sub="sub-1", email="a@example.org", display_name="Ann"))
    assert (created.role, created.is_staff, created.has_usable_password()) == (Role.USER, False, False)

    refreshed = user_sync_from_login(claims=UserClaims(sub="sub-1", email="ann@example.org", role="admin"))
    assert refreshed.id == created.id and User.objects.filter(oauth_sub="sub-1").count() == 1
    assert (refreshed.email, refreshed.display_name, refreshed.role) == ("ann@example.org", "Ann", Role.ADMIN)
    assert refreshed.is_staff and refreshed.is_superuser  # admins reach the console through their Navi login


def test_an_unknown_role_from_the_server_is_taken_as_user_and_long_fields_are_cut():
    user = user_sync_from_login(claims=UserClaims(sub="sub-2", role="root", display_name="x" * 500))
    assert user.role == Role.USER and len(user.display_name) == 200


def test_a_webhook_updates_a_known_user_only():
    user_sync_from_login(claims=UserClaims(sub="sub-3"))
    assert user_update_from_webhook(claims=UserClaims(sub="sub-3", permissions=("navi.memory.read_all",))) is True
    assert User.objects.get(oauth_sub="sub-3").permissions == ["navi.memory.read_all"]
    assert user_update_from_webhook(claims=UserClaims(sub="nobody")) is False
    assert not User.objects.filter(oauth_sub="nobody").exists()


def test_deactivating_a_user_ends_their_auth_sessions_and_refuses_them():
    user = user_sync_from_login(claims=UserClaims(sub="sub-4", role="admin"))
    auth_session = auth_session_live(secret=auth_session_create(user=user))
    assert auth_session is not None and auth_session_still_live(auth_session_id=auth_session.id)

    assert user_deactivate(sub="sub-4") is True
    user.refresh_from_db()
    assert (user.is_active, user.is_staff, user.is_superuser) == (False, False, False)
    assert not auth_session_still_live(auth_session_id=auth_session.id)
    assert user_deactivate(sub="nobody") is False


def test_a_role_change_keeps_console_access_in_step_and_says_whether_it_changed():
    admin = user_get_or_create_owner()
    user = user_sync_from_login(claims=UserClaims(sub="sub-5"))
    change = user_set_role(user_id=user.id, role="admin")
    assert change.changed and change.old_role == Role.USER and change.user.is_staff
    assert user_set_role(user_id=str(user.id), role="admin").changed is False
    assert user_set_role(user_id=admin.id, role="user").user.role == Role.USER  # another admin is left


def test_the_last_active_admin_cannot_be_demoted():
    owner = user_get_or_create_owner()
    with pytest.raises(ApplicationError) as refused:
        user_set_role(user_id=owner.id, role="user")
    assert refused.value.status == 400 and "last admin" in refused.value.message
    owner.refresh_from_db()
    assert owner.role == Role.ADMIN


@pytest.mark.parametrize(("user_id", "role", "status"), [(None, "user", 404), (None, "owner", 400)])
def test_an_unknown_user_or_role_is_refused(user_id, role, status):
    with pytest.raises(ApplicationError) as refused:
        user_set_role(user_id=user_id or uuid.uuid4(), role=role)
    assert refused.value.status == status
