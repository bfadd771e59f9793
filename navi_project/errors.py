"""One application error, rendered in one place for REST and one for WebSocket."""

from __future__ import annotations

from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


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


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(item) for item in detail)
    return str(detail)


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.message, **exc.extra), status=exc.status)
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = error_body(_flatten(exc.detail))
    return response
