"""POST /sessions/{id}/messages: the same run path as the WebSocket, answered when the run ends.

An async view, so waiting never holds the worker thread that synchronous views and the ORM share.
"""

from __future__ import annotations

import asyncio
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse

from accounts_app.auth import user_required
from navi_project.errors import ApplicationError, error_body, error_response
from navi_project.json_body import json_body
from navi_project.openapi import ErrorSerializer, plain_operation
from sessions_app import schemas
from sessions_app.inputs import parse_user_message
from sessions_app.models import Message, Role, Run, RunStatus
from sessions_app.selectors import session_get_for_user
from sessions_app.services.runs import message_submit


def _submit(request, session_id) -> Run:
    user = user_required(request)
    # Ownership first: checking attached files of another user's session would tell which names it holds.
    session = session_get_for_user(user=user, session_id=session_id)
    data = json_body(request, max_bytes=settings.NAVI_MAX_MESSAGE_BYTES)
    return message_submit(user=user, session_id=session.id, message=parse_user_message(data, session_id=session.id))


def _outcome(run_id) -> dict | None:
    run = Run.objects.filter(id=run_id).first()
    if run is None:  # its session was deleted while the request waited
        raise ApplicationError("Session not found", 404)
    if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        return None
    answers = Message.objects.filter(run_id=run_id, role=Role.ASSISTANT, is_plan=False).order_by("-id")
    answer = next((m for m in answers if not m.tool_calls), None)
    return {"status": run.status, "error": run.error, "content": (answer.content or "") if answer else ""}


@plain_operation(
    "post",
    json_only=True,
    operation_id="sessions_message_send",
    summary="Send a message and wait for the answer (the WebSocket's run path, answered when the run ends)",
    request=schemas.UserMessageSerializer,
    responses={
        200: schemas.ReplySerializer,
        409: OpenApiResponse(ErrorSerializer, description="A run is going on in this session"),
        500: OpenApiResponse(ErrorSerializer, description="The run failed: the message says what failed"),
        504: OpenApiResponse(ErrorSerializer, description="Still running after NAVI_SYNC_RUN_TIMEOUT"),
    },
)
@csrf_exempt
async def session_messages(request, session_id):
    if request.method != "POST":
        return JsonResponse(error_body("Use POST"), status=405)
    try:
        run = await sync_to_async(_submit)(request, session_id)
    except ApplicationError as exc:
        return error_response(exc)
    deadline = time.monotonic() + settings.NAVI_SYNC_RUN_TIMEOUT
    delay = 0.02
    while time.monotonic() < deadline:
        try:
            outcome = await sync_to_async(_outcome)(run.id)
        except ApplicationError as exc:
            return error_response(exc)
        if outcome is not None:
            if outcome["status"] == RunStatus.FAILED:
                return JsonResponse(error_body(outcome["error"] or "The agent failed"), status=500)
            body = {"role": "assistant", "content": outcome["content"]}
            if outcome["status"] == RunStatus.STOPPED:
                body["stopped"] = True
            return JsonResponse(body)
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.25)
    return JsonResponse(error_body("The reply is still being generated; it will appear in the session."), status=504)
