"""What the session endpoints send and take, for the OpenAPI schema (navi_project/openapi.py).

The endpoints render with sessions_app.presenters; these serializers describe that output, and
tests/navi_project/test_openapi.py checks real answers against the schema so the two cannot drift apart.
"""

from __future__ import annotations

from rest_framework import serializers

from navi_project.serializer_fields import IsoDateTimeField
from sessions_app.models import Role


class MessageSerializer(serializers.Serializer):
    """One message of the display history; fields other than role, content and created_at only when set."""

    role = serializers.ChoiceField(choices=Role.choices)
    content = serializers.CharField(allow_null=True, allow_blank=True)
    images = serializers.ListField(child=serializers.CharField(), required=False, help_text="Base64 images")
    tool_calls = serializers.ListField(child=serializers.DictField(), required=False)
    tool_call_id = serializers.CharField(required=False)
    name = serializers.CharField(required=False, help_text="The tool's name, on tool results")
    thinking = serializers.CharField(required=False)
    is_plan = serializers.BooleanField(required=False)
    is_compression = serializers.BooleanField(required=False, help_text="The marker of a context compression")
    is_summary = serializers.BooleanField(required=False)
    truncated = serializers.BooleanField(required=False, help_text="The model was cut off at its token limit")
    created_at = IsoDateTimeField()
    elapsed_seconds = serializers.FloatField(required=False)
    tool_call_count = serializers.IntegerField(required=False)
    token_count = serializers.IntegerField(required=False)


class SessionSummarySerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    profile_id = serializers.CharField()
    name = serializers.CharField(allow_null=True)
    message_count = serializers.IntegerField()
    preview = serializers.CharField(allow_blank=True, help_text="The end of the last message, up to 60 characters")
    pinned = serializers.BooleanField()
    created_at = IsoDateTimeField()
    last_active = IsoDateTimeField()


class SessionCreatedSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    profile_id = serializers.CharField()
    name = serializers.CharField(allow_null=True)
    created_at = IsoDateTimeField()


class SessionDetailSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    profile_id = serializers.CharField()
    name = serializers.CharField(allow_null=True)
    pinned = serializers.BooleanField()
    context_token_count = serializers.IntegerField(help_text="prompt_eval_count + eval_count of the last model call")
    max_context_tokens = serializers.IntegerField()
    created_at = IsoDateTimeField()
    last_active = IsoDateTimeField()
    messages = MessageSerializer(many=True)


class SessionPinnedSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    pinned = serializers.BooleanField()


class StopSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    reason = serializers.CharField(required=False, help_text='"no active run" when there was nothing to stop')


class ApprovalSerializer(serializers.Serializer):
    approved = serializers.BooleanField(help_text="true runs the call; false denies it")


class ApprovalAnsweredSerializer(serializers.Serializer):
    ok = serializers.BooleanField()


class PlanningPhaseSerializer(serializers.Serializer):
    phase = serializers.CharField()
    output = serializers.CharField(allow_blank=True)


class PlanningLogSerializer(serializers.Serializer):
    run_id = serializers.UUIDField(allow_null=True)
    created_at = IsoDateTimeField()
    needs_plan = serializers.BooleanField()
    phase = serializers.CharField(allow_null=True, help_text="The last phase reached")
    output = serializers.CharField(allow_null=True, allow_blank=True, help_text="The last phase's output")
    phases = PlanningPhaseSerializer(many=True)


class PlanningSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    logs = PlanningLogSerializer(many=True)


class AttachedFileSerializer(serializers.Serializer):
    """The upload's answer may be passed whole; other fields are refused."""

    path = serializers.CharField(max_length=1000, help_text="The `path` the upload answered")
    name = serializers.CharField(max_length=1000, required=False)
    size = serializers.IntegerField(required=False)
    content_type = serializers.CharField(max_length=1000, required=False)


class UserMessageSerializer(serializers.Serializer):
    """Checked by sessions_app.inputs (strict types, unknown fields refused); see docs/errors-and-limits.md."""

    content = serializers.CharField(max_length=200_000)
    images = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        max_length=10,
        help_text="Base64 or data: URLs; at most 20 MB decoded in all",
    )
    files = AttachedFileSerializer(many=True, required=False, max_length=20, help_text="Files uploaded to this session")


class ReplySerializer(serializers.Serializer):
    role = serializers.CharField(help_text="assistant")
    content = serializers.CharField(allow_blank=True)
    stopped = serializers.BooleanField(required=False, help_text="The run was stopped; the answer so far")


class GeneratedNameSerializer(serializers.Serializer):
    name = serializers.CharField(allow_null=True)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class StoredFileSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The stored name (a taken name becomes name_1.ext, ...)")
    size = serializers.IntegerField()
    path = serializers.CharField(help_text="session_files/{session_id}/{name}: what the agent and `files` use")
    content_type = serializers.CharField()
