"""Who is asking: one answer for DRF views, plain views, the Django admin and WebSocket scopes.

Auth mode `local` acts as the built-in owner for everything. Mode `oauth` takes the auth session id from
`Authorization: Bearer <id>` (mobile and command-line clients) or else from the `navi_auth_session` cookie.
A request that sends an Authorization header is judged by it alone: a bad bearer never falls back to the cookie.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from channels.db import database_sync_to_async
from django.conf import settings
from django.http.cookie import parse_cookie
from rest_framework.authentication import BaseAuthentication

from accounts_app.auth_sessions import auth_session_live
from accounts_app.models import User
from accounts_app.services import user_get_or_create_owner

AUTH_COOKIE = "navi_auth_session"

Via = Literal["local", "cookie", "bearer", "none"]


@dataclass(frozen=True)
class Caller:
    user: User | None
    via: Via
    auth_session_id: UUID | None = None  # the auth session's row id (never its secret)


_NOBODY = Caller(user=None, via="none")
_owner_id = None


def _owner() -> User:
    global _owner_id
    if _owner_id is not None:
        user = User.objects.filter(id=_owner_id).first()
        if user is not None:
            return user
    user = user_get_or_create_owner()
    _owner_id = user.id
    return user


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; "" for any other Authorization header."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def caller_from(*, authorization: str | None, cookie_header: str) -> Caller:
    if settings.NAVI_AUTH_MODE == "local":
        return Caller(user=_owner(), via="local")
    token = bearer_token(authorization)
    via: Via = "bearer"
    if token is None:
        if _cookie_count(cookie_header) > 1:
            # Two auth cookies: one was planted beside the browser's own (cookie tossing). Trust neither.
            return _NOBODY
        token, via = parse_cookie(cookie_header).get(AUTH_COOKIE, ""), "cookie"
    session = auth_session_live(secret=token) if token else None
    if session is None:
        return _NOBODY
    return Caller(user=session.user, via=via, auth_session_id=session.id)


def _cookie_count(cookie_header: str) -> int:
    return sum(1 for part in cookie_header.split(";") if part.strip().startswith(AUTH_COOKIE + "="))


def caller_for_request(request) -> Caller:
    """Resolved once per request (the DRF authenticator, the console's middleware and plain views share it)."""
    caller = getattr(request, "_navi_caller", None)
    if caller is None:
        caller = caller_from(
            authorization=request.headers.get("Authorization"), cookie_header=request.headers.get("Cookie", "")
        )
        request._navi_caller = caller
    return caller


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in headers if key.lower() == name]
    return "; ".join(values) if values else None


def caller_for_scope(scope) -> Caller:
    headers = scope.get("headers", [])
    return caller_from(
        authorization=_header(headers, b"authorization"), cookie_header=_header(headers, b"cookie") or ""
    )


def user_for_request(request) -> User | None:
    return caller_for_request(request).user


def user_required(request) -> User:
    """The user for a plain (non-DRF) view, or 401."""
    # Imported here: navi_project.errors loads DRF, whose settings load this module.
    from navi_project.errors import ApplicationError

    user = user_for_request(request)
    if user is None:
        raise ApplicationError("Authentication required", 401)
    return user


class NaviAuthentication(BaseAuthentication):
    def authenticate(self, request):
        caller = caller_for_request(request._request)
        return (caller.user, caller) if caller.user is not None else None

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to unauthenticated requests.
        return "Bearer"


class WebSocketAuthMiddleware:
    """Puts `user` (or None) and the `caller` into the WebSocket scope."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        caller = await database_sync_to_async(caller_for_scope)(scope)
        scope = dict(scope, user=caller.user, caller=caller)
        return await self.app(scope, receive, send)
