"""Auth sessions: a signed-in browser or app, found by the SHA-256 of the id it holds.

The lookup is by hash, so how long it takes says nothing about the secret (a timing attack learns at most a
prefix of a hash). A session ends at logout, at `user.deleted`, or after NAVI_AUTH_SESSION_DAYS unused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts_app.models import AuthSession, LoginAttempt, User
from accounts_app.tokens import secret_hash, secret_is_well_formed, secret_new

# Using a session moves its expiry; writing that once a minute is enough and keeps reads from writing.
TOUCH_EVERY = timedelta(minutes=1)
LOGIN_ATTEMPT_TTL = timedelta(minutes=10)


def auth_session_group(auth_session_id: UUID) -> str:
    """The channel-layer group of the sockets opened with one auth session (closed when it ends)."""
    return f"auth.{auth_session_id}"


def idle_limit(now: datetime) -> datetime:
    """Sessions unused since before this have expired."""
    return now - timedelta(days=settings.NAVI_AUTH_SESSION_DAYS)


def auth_session_create(*, user: User, user_agent: str = "", is_mobile: bool = False) -> str:
    """Start a session for `user`; returns its secret id (the only copy: the database keeps the hash)."""
    secret = secret_new()
    AuthSession.objects.create(
        user=user,
        token_hash=secret_hash(secret),
        last_used_at=timezone.now(),
        user_agent=user_agent[:300],
        is_mobile=is_mobile,
    )
    return secret


def auth_session_live(*, secret: str) -> AuthSession | None:
    """The live session with this secret id (its user active), or None."""
    if not secret_is_well_formed(secret):
        return None
    now = timezone.now()
    session = (
        AuthSession.objects.select_related("user")
        .filter(token_hash=secret_hash(secret), ended_at__isnull=True, last_used_at__gt=idle_limit(now))
        .first()
    )
    if session is None or not session.user.is_active:
        return None
    if now - session.last_used_at > TOUCH_EVERY:
        AuthSession.objects.filter(id=session.id).update(last_used_at=now)
    return session


def auth_session_still_live(*, auth_session_id: UUID) -> bool:
    """Whether the auth session a socket was opened with is still live (checked after it joins its group, and
    before each message, so a logout racing the handshake cannot leave a socket that drives the agent)."""
    return AuthSession.objects.filter(
        id=auth_session_id,
        ended_at__isnull=True,
        user__is_active=True,
        last_used_at__gt=idle_limit(timezone.now()),
    ).exists()


def _announce_ended(ids: list[UUID]) -> None:
    """Close the sockets of ended sessions, once the end is committed."""
    if not ids:
        return

    def send() -> None:
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        for auth_session_id in ids:
            async_to_sync(layer.group_send)(auth_session_group(auth_session_id), {"type": "auth.ended"})

    transaction.on_commit(send, robust=True)


@transaction.atomic
def auth_session_end(*, secret: str) -> bool:
    if not secret_is_well_formed(secret):
        return False
    sessions = AuthSession.objects.filter(token_hash=secret_hash(secret), ended_at__isnull=True)
    ids = list(sessions.values_list("id", flat=True))
    sessions.update(ended_at=timezone.now())
    _announce_ended(ids)
    return bool(ids)


def _end(sessions: QuerySet[AuthSession]) -> int:
    ids = list(sessions.filter(ended_at__isnull=True).values_list("id", flat=True))
    AuthSession.objects.filter(id__in=ids).update(ended_at=timezone.now())
    _announce_ended(ids)
    return len(ids)


@transaction.atomic
def auth_sessions_end_for_user(*, user: User) -> int:
    return _end(AuthSession.objects.filter(user=user))


@transaction.atomic
def auth_sessions_end(*, ids: Iterable[UUID]) -> int:
    """End these auth sessions (an operator's action); their sockets close. Returns how many were live."""
    return _end(AuthSession.objects.filter(id__in=list(ids)))


def auth_sessions_cleanup(*, now: datetime, dry_run: bool = False) -> tuple[int, int]:
    """Delete ended and expired auth sessions, and login attempts past their 10 minutes: (sessions, attempts)."""
    sessions = AuthSession.objects.filter(Q(ended_at__isnull=False) | Q(last_used_at__lte=idle_limit(now)))
    attempts = LoginAttempt.objects.filter(created_at__lte=now - LOGIN_ATTEMPT_TTL)
    if dry_run:
        return sessions.count(), attempts.count()
    return sessions.delete()[0], attempts.delete()[0]
