"""Pages and plain endpoints that belong to no app: the web client, health, static files, JSON 404s."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from navi_project.errors import body_too_large, error_body
from navi_project.openapi import ErrorSerializer, html_response, plain_operation


@plain_operation(
    "get",
    public=True,
    operation_id="web_client",
    summary="The web client (it offers sign-in when there is no auth session)",
    responses=html_response("The web client's page"),
)
@require_GET
def index(request):
    # The client asks /auth/me either way; the mode tells it whether a sign-out button means anything.
    return render(request, "index.html", {"auth_mode": settings.NAVI_AUTH_MODE})


@plain_operation(
    "get",
    public=True,
    operation_id="health",
    summary="The server answers",
    responses=inline_serializer("Health", {"status": serializers.ChoiceField(choices=("ok",))}),
)
@csrf_exempt  # nothing to protect: a POST is answered 405, not a CSRF page
@require_safe
def health(request):
    return JsonResponse({"status": "ok"})


@plain_operation(
    "get",
    public=True,
    operation_id="static_file",
    summary="A file of the web client (or of /api/docs), served by Navi itself, never cached",
    responses={
        (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file"),
        404: OpenApiResponse(ErrorSerializer, description="No such file"),
    },
)
@require_safe
def static_file(request, path: str):
    """The client's files, served by the app itself (no separate web server needed), never cached."""
    found = finders.find(path) if ".." not in Path(path).parts else None
    if not found or not Path(found).is_file():
        raise Http404(path)
    content_type, encoding = mimetypes.guess_type(found)
    if path.endswith((".js", ".mjs")):
        content_type = "text/javascript"
    response = FileResponse(open(found, "rb"), content_type=content_type or "application/octet-stream")
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Django's error handlers (urls.py) and its CSRF failure view: the one JSON shape, never Django's pages.
# navi_project.errors.JsonErrorMiddleware covers what these do not see (DEBUG's technical pages).


def not_found(request, exception=None):
    return JsonResponse(error_body("Not found"), status=404)


def server_error(request):
    return JsonResponse(error_body("Internal server error"), status=500)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(error_body(body_too_large(None)), status=413)
    if isinstance(exception, DisallowedHost):
        return JsonResponse(error_body("The Host header names a host this server does not serve"), status=400)
    return JsonResponse(error_body("Bad request"), status=400)


def forbidden(request, exception=None):
    return JsonResponse(error_body("Forbidden"), status=403)


def csrf_failure(request, reason: str = ""):
    return JsonResponse(error_body(f"CSRF check failed: {reason}" if reason else "CSRF check failed"), status=403)
