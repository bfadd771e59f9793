"""The Django admin console in `oauth` mode: Navi admins through their Navi login, console accounts as before."""

from __future__ import annotations

import pytest

from accounts_app.auth_sessions import auth_session_create
from accounts_app.services import UserClaims, user_sync_from_login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def oauth_mode(settings):
    settings.NAVI_AUTH_MODE = "oauth"


def test_a_navi_admin_reaches_the_console_with_the_navi_cookie_alone(client):
    admin = user_sync_from_login(claims=UserClaims(sub="sub-admin", email="a@example.test", role="admin"))
    assert admin.is_staff and admin.is_superuser
    client.cookies["navi_auth_session"] = auth_session_create(user=admin)
    page = client.get("/django-admin/")
    assert page.status_code == 200 and b"/django-admin/accounts_app/user/" in page.content
    assert client.get("/django-admin/accounts_app/user/").status_code == 200


def test_a_navi_user_is_sent_to_the_consoles_login_form(client):
    user = user_sync_from_login(claims=UserClaims(sub="sub-user", role="user"))
    assert not user.is_staff
    client.cookies["navi_auth_session"] = auth_session_create(user=user)
    page = client.get("/django-admin/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/django-admin/login/")


def test_demoting_an_admin_at_the_next_login_takes_the_console_away(client):
    user_sync_from_login(claims=UserClaims(sub="sub-was-admin", role="admin"))
    demoted = user_sync_from_login(claims=UserClaims(sub="sub-was-admin", role="user"))
    assert not demoted.is_staff and not demoted.is_superuser
    client.cookies["navi_auth_session"] = auth_session_create(user=demoted)
    assert client.get("/django-admin/").status_code == 302


def test_a_createsuperuser_account_still_signs_in_on_the_consoles_form(client, django_user_model):
    django_user_model.objects.create_superuser(username="root", password="s3cret-pass", email="root@example.test")
    response = client.post("/django-admin/login/?next=/django-admin/", {"username": "root", "password": "s3cret-pass"})
    assert response.status_code == 302 and response.headers["Location"] == "/django-admin/"
    assert client.get("/django-admin/").status_code == 200
