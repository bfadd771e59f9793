from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from agents_app import presenters
from agents_app.context_view import context_for_session
from agents_app.profiles import profiles_for_user
from agents_app.tool_registry import tool_registry
from sessions_app.selectors import session_get_for_user, session_id_parse


class ProfileListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField()
        name = serializers.CharField()
        description = serializers.CharField(allow_blank=True)
        enabled_tools = serializers.ListField(child=serializers.CharField())
        llm_backend = serializers.CharField()
        model = serializers.CharField()
        warning = serializers.CharField(allow_null=True, help_text="Why the profile may not work on this Ollama")

    @extend_schema(
        operation_id="agents_profiles_list",
        summary="The profiles the user may use",
        responses=OutputSerializer(many=True),
    )
    def get(self, request):
        return Response([presenters.profile_entry(p) for p in profiles_for_user(user=request.user)])


class ToolListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        description = serializers.CharField(allow_blank=True)

    @extend_schema(
        operation_id="agents_tools_list",
        summary="Built-in, user and MCP tools",
        responses=OutputSerializer(many=True),
    )
    def get(self, request):
        return Response([presenters.tool_entry(t) for t in tool_registry().all()])


class SessionContextApi(APIView):
    """GET /sessions/{id}/context: the LLM context, which compression may make differ from the display history."""

    class OutputSerializer(serializers.Serializer):
        session_id = serializers.UUIDField()
        profile_id = serializers.CharField()
        message_count = serializers.IntegerField()
        total_chars = serializers.IntegerField()
        context = serializers.ListField(
            child=serializers.DictField(), help_text="The messages as the model gets them, the system message first"
        )

    @extend_schema(operation_id="sessions_context", responses=OutputSerializer)
    def get(self, request, session_id: str):
        session = session_get_for_user(user=request.user, session_id=session_id_parse(session_id))
        return Response(presenters.session_context(session, context_for_session(session)))
