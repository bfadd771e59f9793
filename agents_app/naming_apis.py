"""POST /sessions/{id}/generate-name: an async view, so waiting for the model holds no thread."""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse

from accounts_app.auth import user_required
from agents_app.session_naming import session_name_generate
from navi_project.errors import json_view
from navi_project.openapi import ErrorSerializer, plain_operation
from sessions_app import schemas
from sessions_app.selectors import session_id_parse


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
@json_view("POST", wrong_method="Use POST")
async def session_generate_name(request, session_id: str):
    user = await database_sync_to_async(user_required)(request)
    name = await session_name_generate(user=user, session_id=session_id_parse(session_id))
    return JsonResponse({"name": name})
