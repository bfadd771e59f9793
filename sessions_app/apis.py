"""REST adapters over the session services. Each parses (the path's session id once, `session_id_parse`), calls
one service or selector, and renders (sessions_app.presenters). Bodies are checked before the path's id, as the
answers to a request wrong in both ways have always said."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from navi_project.errors import ApplicationError
from navi_project.serializer_fields import StrictBooleanField, StrictCharField
from sessions_app import presenters, schemas, selectors
from sessions_app.selectors import session_id_parse
from sessions_app.services.approvals import approval_answer, parse_approved, parse_call_id
from sessions_app.services.runs import run_request_stop
from sessions_app.services.sessions import session_create, session_delete, session_set_pinned

MAX_PAGE = 500
BEFORE_UNKNOWN = "before: no session of yours has this id"


class SessionListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        profile_id = StrictCharField(max_length=100)

    class ListParams(serializers.Serializer):
        limit = serializers.IntegerField(
            min_value=1, max_value=MAX_PAGE, required=False, help_text=f"At most this many sessions, 1-{MAX_PAGE}"
        )
        before = serializers.UUIDField(
            required=False, help_text="Only the sessions listed after this one (the last of the previous page)"
        )

    @extend_schema(
        operation_id="sessions_list",
        summary="The user's sessions, pinned first, then most recently active (all, or a page of them)",
        parameters=[ListParams],
        responses=schemas.SessionSummarySerializer(many=True),
    )
    def get(self, request):
        # A plain dict, not the QueryDict: an empty `limit=` is a bad value (400), not a missing one.
        params = self.ListParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        after = None
        if (before := params.validated_data.get("before")) is not None:
            after = selectors.session_list_position(user=request.user, session_id=before)
            if after is None:
                raise ApplicationError(BEFORE_UNKNOWN)
        listings = selectors.session_list_for_user(
            user=request.user, limit=params.validated_data.get("limit"), after=after
        )
        # The JSON as the database wrote it: decoding and encoding it again was most of the list's cost.
        return HttpResponse(presenters.session_list(listings), content_type="application/json")

    @extend_schema(
        operation_id="sessions_create",
        summary="Start a session with a profile (404 for a profile the user may not use)",
        request=InputSerializer,
        responses={201: schemas.SessionCreatedSerializer},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = session_create(user=request.user, **data.validated_data)
        return Response(presenters.session_created(session), status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    @extend_schema(
        operation_id="sessions_get",
        summary="A session with its display history",
        responses=schemas.SessionDetailSerializer,
    )
    def get(self, request, session_id: str):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id_parse(session_id))
        messages = selectors.session_display_rows(session=session)
        return Response(presenters.session_detail(session, messages))

    @extend_schema(
        operation_id="sessions_delete",
        summary="Delete a session, its run stopped and its files gone",
        responses={204: None},
    )
    def delete(self, request, session_id: str):
        session_delete(user=request.user, session_id=session_id_parse(session_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionPinApi(APIView):
    class InputSerializer(serializers.Serializer):
        pinned = StrictBooleanField()

    @extend_schema(
        operation_id="sessions_pin",
        summary="Pin or unpin a session",
        request=InputSerializer,
        responses=schemas.SessionPinnedSerializer,
    )
    def patch(self, request, session_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = session_set_pinned(
            user=request.user, session_id=session_id_parse(session_id), pinned=data.validated_data["pinned"]
        )
        return Response(presenters.session_pinned(session))


class SessionStopApi(APIView):
    @extend_schema(
        operation_id="sessions_stop",
        summary="Stop the session's run, wherever it runs",
        request=None,
        responses=schemas.StopSerializer,
    )
    def post(self, request, session_id: str):
        stopped = run_request_stop(user=request.user, session_id=session_id_parse(session_id))
        return Response(presenters.stop_answer(stopped))


class SessionApprovalApi(APIView):
    @extend_schema(
        operation_id="sessions_approval_answer",
        summary="Allow or deny a tool call that waits for the user's approval (404 when none waits by that id)",
        request=schemas.ApprovalSerializer,
        responses={200: schemas.ApprovalAnsweredSerializer},
    )
    def post(self, request, session_id: str, call_id: str):
        body = request.data if isinstance(request.data, dict) else {}
        approved = parse_approved(body.get("approved"))
        call = parse_call_id(call_id)
        approval_answer(user=request.user, session_id=session_id_parse(session_id), call_id=call, approved=approved)
        return Response({"ok": True})
