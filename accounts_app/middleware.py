"""HTTP middleware: who is asking for the Django admin, and the cross-site guard."""

from __future__ import annotations

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts_app.auth import caller_for_request
from accounts_app.origin import origin_allowed, request_needs_origin_check
from navi_project.middleware_base import SyncAndAsyncMiddleware


class NaviUserMiddleware(SyncAndAsyncMiddleware):
    """In `oauth` mode `request.user` (what the Django admin reads) falls back to the Navi login.

    The console's own login (`createsuperuser` accounts) still wins. Role `admin` users are staff (kept so at
    every login and `user.updated`), so they reach /django-admin/ with their Navi login alone.
    """

    def process(self, request):
        if settings.NAVI_AUTH_MODE != "oauth":
            return None
        console_user = request.user

        def resolve():
            if console_user.is_authenticated:
                return console_user
            return caller_for_request(request).user or console_user

        request.user = SimpleLazyObject(resolve)
        return None


class CrossSiteRequestGuard(SyncAndAsyncMiddleware):
    """403 for a state-changing request carried by the browser's credentials from another origin."""

    def process(self, request):
        # path_info: what the URL router sees (a client's Daphne-Root-Path header changes `path`, not it).
        if not request_needs_origin_check(
            method=request.method, path=request.path_info, authorization=request.headers.get("Authorization")
        ):
            return None
        if origin_allowed(
            origin=request.headers.get("Origin"),
            scheme=request.scheme,
            host=request.get_host(),
            fetch_site=request.headers.get("Sec-Fetch-Site"),
        ):
            return None
        from navi_project.errors import ApplicationError, error_response

        return error_response(ApplicationError("Cross-site request refused: the Origin is not this server", 403))
