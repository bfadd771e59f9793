"""Auth sessions: only a hash at rest, expiry after NAVI_AUTH_SESSION_DAYS unused, and the cleanup command."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts_app.auth import caller_from
from accounts_app.auth_sessions import (
    auth_session_create,
    auth_session_end,
    auth_session_live,
    auth_sessions_end_for_user,
)
from accounts_app.models import AuthSession, LoginAttempt, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return User.objects.create(username="ada", oauth_sub="sub-ada")


def test_the_database_keeps_only_the_sha256_of_the_session_id(user):
    secret = auth_session_create(user=user)
    assert len(secret) == 43
    row = AuthSession.objects.get(user=user)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {str(value) for value in AuthSession.objects.values().first().values()}
    assert auth_session_live(secret=secret).user == user
    assert auth_session_live(secret=row.token_hash) is None  # the hash itself logs nobody in


def test_a_session_unused_for_the_configured_days_ends_and_use_moves_the_deadline(user, settings):
    settings.NAVI_AUTH_SESSION_DAYS = 2
    secret = auth_session_create(user=user)
    AuthSession.objects.update(last_used_at=timezone.now() - timedelta(days=1, hours=23))
    assert auth_session_live(secret=secret) is not None  # and this use counts as use
    assert AuthSession.objects.get().last_used_at > timezone.now() - timedelta(minutes=1)
    AuthSession.objects.update(last_used_at=timezone.now() - timedelta(days=2, minutes=1))
    assert auth_session_live(secret=secret) is None


def test_a_session_of_an_inactive_user_or_an_ended_one_is_not_live(user):
    first, second = auth_session_create(user=user), auth_session_create(user=user)
    assert auth_session_end(secret=first) is True and auth_session_end(secret=first) is False
    assert auth_session_live(secret=first) is None and auth_session_live(secret=second) is not None
    User.objects.filter(id=user.id).update(is_active=False)
    assert auth_session_live(secret=second) is None


def test_ending_all_of_a_users_sessions_leaves_other_users_signed_in(user):
    other = User.objects.create(username="bob", oauth_sub="sub-bob")
    mine, theirs = [auth_session_create(user=user) for _ in range(3)], auth_session_create(user=other)
    assert auth_sessions_end_for_user(user=user) == 3
    assert all(auth_session_live(secret=s) is None for s in mine)
    assert auth_session_live(secret=theirs) is not None


def test_the_bearer_header_wins_and_a_bad_one_never_falls_back_to_the_cookie(user, settings):
    settings.NAVI_AUTH_MODE = "oauth"
    secret = auth_session_create(user=user)
    cookie = f"navi_auth_session={secret}"
    assert caller_from(authorization=None, cookie_header=cookie).via == "cookie"
    assert caller_from(authorization=f"Bearer {secret}", cookie_header="").via == "bearer"
    assert caller_from(authorization="Bearer nope", cookie_header=cookie).user is None
    assert caller_from(authorization=f"Basic {secret}", cookie_header=cookie).user is None
    assert caller_from(authorization=None, cookie_header="").user is None


def test_cleanup_deletes_ended_and_expired_sessions_and_stale_login_attempts(user, settings):
    settings.NAVI_AUTH_SESSION_DAYS = 30
    live, ended, stale = (auth_session_create(user=user) for _ in range(3))
    auth_session_end(secret=ended)
    AuthSession.objects.filter(token_hash=hashlib.sha256(stale.encode()).hexdigest()).update(
        last_used_at=timezone.now() - timedelta(days=31)
    )
    fresh = LoginAttempt.objects.create(state_hash="a" * 64, browser_hash="b" * 64, code_verifier="v")
    old = LoginAttempt.objects.create(state_hash="c" * 64, browser_hash="d" * 64, code_verifier="v")
    LoginAttempt.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(minutes=11))

    out = StringIO()
    call_command("cleanup_auth_sessions", "--dry-run", stdout=out)
    assert "Would delete 2 auth session(s) and 1 expired login attempt(s)" in out.getvalue()
    assert AuthSession.objects.count() == 3

    call_command("cleanup_auth_sessions", stdout=StringIO())
    assert [s.token_hash for s in AuthSession.objects.all()] == [hashlib.sha256(live.encode()).hexdigest()]
    assert list(LoginAttempt.objects.values_list("id", flat=True)) == [fresh.id]


def test_cleanup_can_preview_a_later_day(user, settings):
    settings.NAVI_AUTH_SESSION_DAYS = 30
    auth_session_create(user=user)
    out = StringIO()
    later = (timezone.now() + timedelta(days=31)).isoformat()
    call_command("cleanup_auth_sessions", "--dry-run", "--now", later, stdout=out)
    assert "Would delete 1 auth session(s)" in out.getvalue()
    with pytest.raises(Exception, match="not an ISO-8601"):
        call_command("cleanup_auth_sessions", "--now", "tomorrow")
