"""REST adapters over the session services. Each parses, calls one service or selector, and renders."""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_app import presenters, selectors
from sessions_app.services.runs import run_request_stop
from sessions_app.services.sessions import session_create, session_delete, session_set_pinned


class SessionListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        profile_id = serializers.CharField(max_length=100)

    def get(self, request):
        sessions = selectors.session_list_for_user(user=request.user)
        return Response([presenters.session_summary(s) for s in sessions])

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = session_create(user=request.user, **data.validated_data)
        return Response(
            {
                "session_id": str(session.id),
                "profile_id": session.profile_id,
                "name": session.name,
                "created_at": presenters.iso(session.created_at),
            },
            status=status.HTTP_201_CREATED,
        )


class SessionDetailApi(APIView):
    def get(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        messages = selectors.session_display_messages(session=session)
        return Response(presenters.session_detail(session, messages))

    def delete(self, request, session_id):
        session_delete(user=request.user, session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionPinApi(APIView):
    class InputSerializer(serializers.Serializer):
        pinned = serializers.BooleanField()

    def patch(self, request, session_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = session_set_pinned(user=request.user, session_id=session_id, **data.validated_data)
        return Response({"session_id": str(session.id), "pinned": session.pinned})


class SessionStopApi(APIView):
    def post(self, request, session_id):
        if run_request_stop(user=request.user, session_id=session_id):
            return Response({"ok": True})
        return Response({"ok": False, "reason": "no active run"})
