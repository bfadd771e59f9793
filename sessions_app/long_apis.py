"""REST adapters for long conversations: the planning log and session names."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts_app.auth import user_required
from navi_project.errors import ApplicationError, error_body, error_response
from navi_project.openapi import ErrorSerializer, plain_operation
from sessions_app import presenters, schemas
from sessions_app.selectors import session_get_for_user
from sessions_app.services.naming import (
    NAMING_INSTRUCTIONS,
    NamingRequest,
    name_clean,
    session_name_set,
    session_naming_prepare,
)
from sessions_app.services.planning_logs import planning_log_list


class SessionPlanningApi(APIView):
    """GET /sessions/{id}/planning: one entry per planning run, with the output of each phase."""

    @extend_schema(operation_id="sessions_planning", responses=schemas.PlanningSerializer)
    def get(self, request, session_id):
        session = session_get_for_user(user=request.user, session_id=session_id)
        logs = [
            {
                "run_id": str(log.run_id) if log.run_id else None,
                "created_at": presenters.iso(log.created_at),
                "needs_plan": log.needs_plan,
                # The last phase reached and its output, then every phase in order.
                "phase": log.phases[-1]["phase"] if log.phases else None,
                "output": log.phases[-1]["output"] if log.phases else None,
                "phases": log.phases,
            }
            for log in planning_log_list(session=session)
        ]
        return Response({"session_id": str(session.id), "logs": logs})


async def _ask_model(ask: NamingRequest) -> str:
    # The model port lives in agents_app, which depends on this app: imported here, at the edge.
    from agents_app.engine import ChatMessage, LLMError
    from agents_app.ollama import default_llm

    if ask.model is None:
        return ""
    messages = [
        ChatMessage(role="system", content=NAMING_INSTRUCTIONS),
        ChatMessage(role="user", content=ask.transcript),
    ]
    try:
        answer = await default_llm().complete(model=ask.model, messages=messages, options=ask.options, think=False)
        return answer.text
    except LLMError as exc:
        raise ApplicationError(f"The name could not be generated: {exc}", 502) from None


def _prepare(request, session_id):
    return session_naming_prepare(user=user_required(request), session_id=session_id)


@plain_operation(
    "post",
    operation_id="sessions_generate_name",
    summary="Name the session from its first messages (its name if it has one already)",
    request=None,
    responses={
        200: schemas.GeneratedNameSerializer,
        502: OpenApiResponse(ErrorSerializer, description="The model could not be reached or failed"),
    },
)
@csrf_exempt
async def session_generate_name(request, session_id):
    """POST /sessions/{id}/generate-name. Async, so waiting for the model holds no thread."""
    if request.method != "POST":
        return JsonResponse(error_body("Use POST"), status=405)
    try:
        ask = await sync_to_async(_prepare)(request, session_id)
        if not isinstance(ask, NamingRequest):
            return JsonResponse({"name": ask})
        name = name_clean(await _ask_model(ask)) or ask.fallback
        return JsonResponse({"name": await sync_to_async(session_name_set)(session_id=ask.session_id, name=name)})
    except ApplicationError as exc:
        return error_response(exc)
