"""REST adapters for who is signed in: /auth/me, /auth/logout, and the gnexus-auth webhook."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts_app.auth import AUTH_COOKIE, bearer_token
from accounts_app.auth_sessions import auth_session_end
from accounts_app.models import Role
from accounts_app.presenters import user_me, webhook_answer
from accounts_app.webhooks import SIGNATURE_HEADER, webhook_apply, webhook_parse, webhook_verify
from navi_project.errors import ApplicationError, error_response
from navi_project.openapi import ErrorSerializer, plain_operation


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        email = serializers.CharField(allow_blank=True)
        display_name = serializers.CharField()
        role = serializers.ChoiceField(choices=Role.choices)
        permissions = serializers.ListField(
            child=serializers.CharField(), help_text="Effective: role admin holds every Navi permission"
        )

    @extend_schema(operation_id="auth_me", summary="Who is signed in", responses=OutputSerializer)
    def get(self, request):
        return Response(user_me(request.user))


class LogoutApi(APIView):
    """POST /auth/logout: ends the auth session this request came with (cookie or bearer), clears the cookie."""

    class OutputSerializer(serializers.Serializer):
        ok = serializers.BooleanField()

    @extend_schema(operation_id="auth_logout", summary="Sign out", request=None, responses=OutputSerializer)
    def post(self, request):
        if settings.NAVI_AUTH_MODE == "oauth":
            token = bearer_token(request.headers.get("Authorization"))
            auth_session_end(secret=token if token is not None else request.COOKIES.get(AUTH_COOKIE, ""))
        response = Response({"ok": True})
        response.delete_cookie(AUTH_COOKIE, path="/", samesite="Lax")
        return response


class WebhookUserSerializer(serializers.Serializer):
    sub = serializers.CharField()
    email = serializers.CharField(required=False)
    display_name = serializers.CharField(required=False)
    role = serializers.CharField(required=False)
    permissions = serializers.ListField(child=serializers.CharField(), required=False)


class WebhookSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The delivery id: a delivery seen before changes nothing")
    event = serializers.ChoiceField(choices=("user.updated", "user.deleted"))
    sent_at = serializers.IntegerField(help_text="Unix seconds; more than 300 s from now is refused")
    user = WebhookUserSerializer()


class WebhookAnswerSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    duplicate = serializers.BooleanField(required=False)


@plain_operation(
    "post",
    public=True,
    operation_id="webhooks_gnexus_auth",
    summary="gnexus-auth's user events, signed with HMAC-SHA256",
    parameters=[
        OpenApiParameter(
            SIGNATURE_HEADER,
            location=OpenApiParameter.HEADER,
            required=True,
            description="sha256=<hex HMAC-SHA256 of the raw body with GNEXUS_AUTH_WEBHOOK_SECRET>",
        )
    ],
    request=WebhookSerializer,
    responses={
        200: WebhookAnswerSerializer,
        400: OpenApiResponse(ErrorSerializer, description="Not the webhook's shape (the message names the field)"),
        401: OpenApiResponse(ErrorSerializer, description="A missing or bad signature"),
    },
)
@csrf_exempt  # signed with HMAC, sent by a server: no browser credentials to protect
@require_POST
def gnexus_auth_webhook(request):
    try:
        webhook_verify(body=request.body, signature=request.headers.get(SIGNATURE_HEADER))
        event = webhook_parse(body=request.body)
        applied = webhook_apply(event=event)
    except ApplicationError as exc:
        return error_response(exc)
    return JsonResponse(webhook_answer(applied=applied))
