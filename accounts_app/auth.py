"""Who is asking: one answer for DRF views, plain async views and WebSocket scopes.

Auth mode `local` acts as the built-in owner for everything.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.conf import settings
from rest_framework.authentication import BaseAuthentication

from accounts_app.models import User
from accounts_app.services import user_get_or_create_owner

_owner_id = None


def user_for_request(request) -> User | None:
    global _owner_id
    if settings.NAVI_AUTH_MODE == "local":
        if _owner_id is not None:
            user = User.objects.filter(id=_owner_id).first()
            if user is not None:
                return user
        user = user_get_or_create_owner()
        _owner_id = user.id
        return user
    return None


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
        user = user_for_request(request)
        return (user, None) if user is not None else None

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to unauthenticated requests.
        return "Bearer"


class WebSocketAuthMiddleware:
    """Puts `user` (or None) into the WebSocket scope."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        scope = dict(scope, user=await database_sync_to_async(user_for_request)(scope))
        return await self.app(scope, receive, send)
