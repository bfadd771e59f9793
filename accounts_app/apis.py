"""REST adapters for who is signed in: /auth/me, /auth/logout, and the gnexus-auth webhook."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts_app.auth import AUTH_COOKIE, bearer_token
from accounts_app.auth_sessions import auth_session_end
from accounts_app.webhooks import SIGNATURE_HEADER, webhook_apply, webhook_parse, webhook_verify
from navi_project.errors import ApplicationError, error_response


def user_body(user) -> dict:
    return {
        "id": str(user.id),
        "email": user.email,
        "display_name": user.display_name or user.username,
        "role": user.role,
        "permissions": user.effective_permissions,
    }


class MeApi(APIView):
    def get(self, request):
        return Response(user_body(request.user))


class LogoutApi(APIView):
    """POST /auth/logout: ends the auth session this request came with (cookie or bearer), clears the cookie."""

    def post(self, request):
        if settings.NAVI_AUTH_MODE == "oauth":
            token = bearer_token(request.headers.get("Authorization"))
            auth_session_end(secret=token if token is not None else request.COOKIES.get(AUTH_COOKIE, ""))
        response = Response({"ok": True})
        response.delete_cookie(AUTH_COOKIE, path="/", samesite="Lax")
        return response


@csrf_exempt  # signed with HMAC, sent by a server: no browser credentials to protect
@require_POST
def gnexus_auth_webhook(request):
    try:
        webhook_verify(body=request.body, signature=request.headers.get(SIGNATURE_HEADER))
        event = webhook_parse(body=request.body)
        applied = webhook_apply(event=event)
    except ApplicationError as exc:
        return error_response(exc)
    return JsonResponse({"ok": True} if applied else {"ok": True, "duplicate": True})
