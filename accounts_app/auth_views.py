"""The sign-in flow's browser-facing endpoints: /auth/login, /auth/callback, /auth/mobile-done.

Navigations, not API calls: failures answer a small page (escaped, no-store), never a traceback.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from accounts_app.auth import AUTH_COOKIE
from accounts_app.auth_sessions import auth_session_create
from accounts_app.models import User
from accounts_app.oauth import LOGIN_COOKIE, ClaimedLogin, login_begin, login_claim, login_exchange
from accounts_app.services import UserClaims, user_sync_from_login
from accounts_app.tokens import secret_is_well_formed
from navi_project.errors import ApplicationError
from navi_project.openapi import html_response, plain_operation

# The pages set no cookies of their own, run only Navi's own files, and can be framed by nobody.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _page(description: str) -> OpenApiResponse:
    return OpenApiResponse(OpenApiTypes.STR, description=description)


def _redirect(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=description)


def _secure() -> bool:
    return settings.NAVI_PUBLIC_URL.startswith("https://")


def _login_cookie() -> tuple[str, str]:
    """The login-binding cookie's name and path. On https the `__Host-` prefix makes browsers refuse one set by
    a sibling subdomain or over plain http, so nobody can plant a value of their own choosing (cookie tossing)."""
    return ("__Host-" + LOGIN_COOKIE, "/") if _secure() else (LOGIN_COOKIE, "/auth/")


def _private(response: HttpResponse) -> HttpResponse:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def auth_message(request, *, title: str, message: str, status: int) -> HttpResponse:
    page = render(request, "auth_message.html", {"title": title, "message": message}, status=status)
    return _private(page)


def _local_mode(request) -> HttpResponse | None:
    if settings.NAVI_AUTH_MODE == "local":
        return auth_message(request, title="No sign-in here", message="This Navi runs in local mode.", status=404)
    return None


@plain_operation(
    "get",
    public=True,
    operation_id="auth_login",
    summary="Start signing in: a redirect to the sign-in server (auth mode `oauth`; `/` in mode `local`)",
    parameters=[
        OpenApiParameter("mobile", str, enum=["1"], description="1: end at /auth/mobile-done (the Android app)")
    ],
    responses={302: _redirect("To the sign-in server's authorize endpoint, with state and PKCE S256")},
)
@require_GET
def auth_login(request):
    """Send the browser to the sign-in server, with a fresh state and PKCE challenge bound to it."""
    if settings.NAVI_AUTH_MODE == "local":
        return HttpResponseRedirect("/")
    name, path = _login_cookie()
    start = login_begin(mobile=request.GET.get("mobile") == "1", browser_secret=request.COOKIES.get(name))
    response = _private(HttpResponseRedirect(start.authorize_url))
    # Lax: the callback is a top-level navigation from the sign-in server, which Lax cookies ride along.
    response.set_cookie(
        name, start.browser_secret, max_age=600, path=path, httponly=True, samesite="Lax", secure=_secure()
    )
    return response


def _finish(*, claims: UserClaims, claimed: ClaimedLogin, user_agent: str) -> tuple[User, str]:
    user = user_sync_from_login(claims=claims)
    if not user.is_active:
        raise ApplicationError("This account was deactivated at the sign-in server", 403)
    return user, auth_session_create(user=user, user_agent=user_agent, is_mobile=claimed.mobile)


@plain_operation(
    "get",
    public=True,
    operation_id="auth_callback",
    summary="The sign-in server's answer: starts Navi's auth session",
    parameters=[
        OpenApiParameter("code", str),
        OpenApiParameter("state", str),
        OpenApiParameter("error", str, description="Set by the sign-in server when it signed nobody in"),
    ],
    responses={
        302: _redirect("To / with the navi_auth_session cookie, or to /auth/mobile-done?sid=... for the app"),
        (400, "text/html"): _page("A missing, forged, used, expired or foreign state, or a refused code"),
        (403, "text/html"): _page("The user was deactivated"),
        (404, "text/html"): _page("Auth mode `local`: no sign-in here"),
        (502, "text/html"): _page("The sign-in server could not be reached or answered nonsense"),
    },
)
@require_GET
async def auth_callback(request):
    """The sign-in server's answer: use up the state, exchange the code, start Navi's own auth session."""
    if (refusal := _local_mode(request)) is not None:
        return refusal
    try:
        claimed = await database_sync_to_async(login_claim)(
            state=request.GET.get("state"), browser_secret=request.COOKIES.get(_login_cookie()[0])
        )
        if request.GET.get("error"):
            error = request.GET["error"][:100]
            raise ApplicationError(f"The sign-in server did not sign you in: {error}", 400)
        claims = await login_exchange(code=request.GET.get("code"), claimed=claimed)
        _user, secret = await database_sync_to_async(_finish)(
            claims=claims, claimed=claimed, user_agent=request.headers.get("User-Agent", "")
        )
    except ApplicationError as exc:
        title = "Sign-in server unavailable" if exc.status >= 500 else "Sign-in failed"
        return auth_message(request, title=title, message=exc.message, status=exc.status)
    response = _private(HttpResponseRedirect(f"/auth/mobile-done?sid={secret}" if claimed.mobile else "/"))
    name, path = _login_cookie()
    response.delete_cookie(name, path=path, samesite="Lax")  # used: the next login gets a fresh one
    if claimed.mobile:
        return response
    response.set_cookie(
        AUTH_COOKIE,
        secret,
        max_age=int(settings.NAVI_AUTH_SESSION_DAYS * 86400),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=_secure(),
    )
    return response


@plain_operation(
    "get",
    public=True,
    operation_id="auth_mobile_done",
    summary="The bridge page that hands the auth session to the Android app",
    parameters=[OpenApiParameter("sid", str, required=True, description="The new auth session's id")],
    responses={
        **html_response("Opens the app's intent URL at once, with a button for browsers that block it"),
        (400, "text/html"): _page("`sid` is not token-shaped"),
        (404, "text/html"): _page("Auth mode `local`: no sign-in here"),
    },
)
@require_GET
def auth_mobile_done(request):
    """The bridge page: hands the new auth session to the Android app through an intent URL."""
    if (refusal := _local_mode(request)) is not None:
        return refusal
    sid = request.GET.get("sid")
    if not secret_is_well_formed(sid):
        return auth_message(request, title="Sign-in failed", message="This link has no valid session id.", status=400)
    scheme, package = settings.NAVI_APP_SCHEME, settings.NAVI_ANDROID_PACKAGE
    context = {
        "intent_url": f"intent://auth?sid={sid}#Intent;scheme={scheme};package={package};end",
        "app_url": f"{scheme}://auth?sid={sid}",
    }
    return _private(render(request, "mobile_done.html", context))
