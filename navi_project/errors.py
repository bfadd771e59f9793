"""One error shape for every 4xx/5xx, rendered in one place for REST and one for WebSocket.

REST: `{"detail": message, "error": message, ...extra}`. WebSocket: `{"type": "error", "message": message}`.
DRF views answer through `api_exception_handler`, plain views through `error_response`, the consumer through
`error_event`, and `JsonErrorMiddleware` turns whatever else answers an error (Django's own pages for a foreign
Host, a CSRF failure, a wrong method, DEBUG's technical pages) into the same shape.
"""

from __future__ import annotations

import functools
import json
import logging
from http import HTTPStatus

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from navi_project import events
from navi_project.middleware_base import SyncAndAsyncMiddleware

logger = logging.getLogger("django.request")

# Pages that are HTML by design: their errors may stay HTML. Every other path is API and answers JSON.
HTML_PATHS = frozenset({"/", "/auth/login", "/auth/callback", "/auth/mobile-done", "/api/docs"})
HTML_PREFIXES = ("/django-admin/",)


class ApplicationError(Exception):
    def __init__(self, message: str, status: int = 400, **extra):
        super().__init__(message)
        self.message = message
        self.status = status
        self.extra = extra


def error_body(message: str, **extra) -> dict:
    # `detail` is DRF's convention, `error` is what most HTTP clients look for: carry both.
    return {"detail": message, "error": message, **extra}


def error_response(exc: ApplicationError) -> JsonResponse:
    """The error as plain Django views answer it (DRF views go through `api_exception_handler`)."""
    return JsonResponse(error_body(exc.message, **exc.extra), status=exc.status)


def json_view(*methods: str, wrong_method: str):
    """An async plain view that answers only `methods` (405 with `wrong_method` otherwise) and renders any
    ApplicationError it raises in the one error shape. Plain views use it so none of them repeats the checks."""

    allowed = frozenset(methods)

    def wrap(view):
        @functools.wraps(view)
        async def checked(request, *args, **kwargs):
            if request.method not in allowed:
                response = JsonResponse(error_body(wrong_method), status=405)
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                return await view(request, *args, **kwargs)
            except ApplicationError as exc:
                return error_response(exc)

        return checked

    return wrap


def error_event(exc: ApplicationError | str) -> str:
    """The error as the WebSocket sends it: the protocol's `error` event."""
    message = exc if isinstance(exc, str) else exc.message
    return json.dumps(events.error(message))


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(item) for item in detail)
    return str(detail)


def api_exception_handler(exc, context):
    # Imported here: DRF's views module reads the parser settings, whose parser (navi_project.json_body) needs
    # ApplicationError from this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.message, **exc.extra), status=exc.status)
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = error_body(_flatten(exc.detail))
    return response


def body_too_large(limit: int | None) -> str:
    from django.conf import settings

    limit = limit or settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return f"The request body is larger than {limit / (1024 * 1024):.1f} MB"


def status_message(status: int) -> str:
    """What an error answer without a message of its own says: its status's phrase."""
    if status >= 500:
        return "Internal server error"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "Request refused"
    return phrase[0] + phrase[1:].lower()  # "Not found", as Navi's own errors write it


def is_api_path(path: str) -> bool:
    return path not in HTML_PATHS and not path.startswith(HTML_PREFIXES)


def _as_json(request, response):
    if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
        return response
    if not is_api_path(request.path_info):
        return response
    # Django's own pages (and DEBUG's technical ones, tracebacks included) are dropped, never passed on.
    message = status_message(response.status_code)
    if response.status_code == 405 and response.has_header("Allow"):
        message = f"Method {request.method} is not allowed here: use {response['Allow']}"
    replaced = JsonResponse(error_body(message), status=response.status_code)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if response.has_header(header):
            replaced[header] = response[header]
    replaced._has_been_logged = getattr(response, "_has_been_logged", False)
    return replaced


def _refusal(request):
    """Errors caught before Django's handlers could render them as pages."""
    try:
        request.get_host()
    except DisallowedHost:
        return JsonResponse(error_body("The Host header names a host this server does not serve"), status=400)
    return None


class JsonErrorMiddleware(SyncAndAsyncMiddleware):
    """The outermost middleware: every error answer of an API path carries the one JSON shape."""

    def process(self, request):
        return _refusal(request)

    def finish(self, request, response):
        return _as_json(request, response)

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(error_body(body_too_large(None)), status=413)
        return None
