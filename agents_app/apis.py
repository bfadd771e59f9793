from rest_framework.response import Response
from rest_framework.views import APIView

from agents_app.context_view import context_for_session
from agents_app.profiles import profiles_for_user
from agents_app.tool_registry import tool_registry
from sessions_app.selectors import session_get_for_user


class ProfileListApi(APIView):
    def get(self, request):
        return Response([p.summary() for p in profiles_for_user(request.user)])


class ToolListApi(APIView):
    def get(self, request):
        return Response([{"name": t.name, "description": t.description} for t in tool_registry().all()])


class SessionContextApi(APIView):
    """GET /sessions/{id}/context: the LLM context, which compression may make differ from the display history."""

    def get(self, request, session_id):
        session = session_get_for_user(user=request.user, session_id=session_id)
        context = context_for_session(session)
        return Response(
            {
                "session_id": str(session.id),
                "profile_id": session.profile_id,
                "message_count": len(context),
                "total_chars": sum(len(m.get("content") or "") for m in context),
                "context": context,
            }
        )
