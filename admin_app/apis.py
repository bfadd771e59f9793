"""The /admin/* REST endpoints (v2 reference, CONTRACT section 6). Each parses, calls one selector or service,
and renders (admin_app.presenters; the OutputSerializers describe the answers for the OpenAPI schema). Who may
call it is the view's permission classes (admin_app.permissions)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts_app.models import Role
from admin_app import presenters, selectors
from admin_app.permissions import AdminRole, ManageProfiles, ReadAllMemory, ReadAllSessions
from admin_app.services import profile_availability_change, user_role_change
from navi_project.ids import id_parse
from navi_project.serializer_fields import IsoDateTimeField, StrictBooleanField

AVAILABILITY_NOTE = "Profile availability is managed via profile config files"
# Past this an offset is surely a mistake, and SQLite could not take it as an integer.
MAX_OFFSET = 2**31 - 1


def _choice(choices: tuple[str, ...], default: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices,
        default=default,
        error_messages={"invalid_choice": f"must be one of {', '.join(choices)}"},
    )


class ListParams(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=500, default=50, help_text="Page size, 1-500")
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0, help_text="Items to skip")
    search = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    sort_order = _choice(("asc", "desc"), "desc")


def _params(serializer_class: type[serializers.Serializer], request) -> dict:
    # A plain dict, not the QueryDict: an empty `limit=` is a bad value (400), not a missing one.
    params = serializer_class(data=request.query_params.dict())
    params.is_valid(raise_exception=True)
    return dict(params.validated_data)


def _page_serializer(name: str, item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "total": serializers.IntegerField(help_text="Items matching, on all pages"),
            "limit": serializers.IntegerField(),
            "offset": serializers.IntegerField(),
            "items": item(many=True),
        },
    )


class AdminSessionListApi(APIView):
    permission_classes = [IsAuthenticated, ReadAllSessions]

    class InputSerializer(ListParams):
        search = serializers.CharField(
            required=False,
            default="",
            allow_blank=True,
            max_length=200,
            help_text="Part of the session id, name, user id or profile id (any case)",
        )
        sort_by = _choice(selectors.SESSION_SORTS, "last_active")

    class ItemSerializer(serializers.Serializer):
        session_id = serializers.UUIDField()
        profile_id = serializers.CharField()
        user_id = serializers.UUIDField()
        name = serializers.CharField(allow_null=True)
        message_count = serializers.IntegerField()
        pinned = serializers.BooleanField()
        created_at = IsoDateTimeField()
        last_active = IsoDateTimeField()

    OutputSerializer = _page_serializer("AdminSessionPage", ItemSerializer)

    @extend_schema(
        operation_id="admin_sessions_list",
        summary="All sessions of all users",
        parameters=[InputSerializer],
        responses=OutputSerializer,
        tags=["admin"],
    )
    def get(self, request):
        params = _params(self.InputSerializer, request)
        page = selectors.session_list_all(
            search=params["search"],
            sort_by=params["sort_by"],
            descending=params["sort_order"] == "desc",
            limit=params["limit"],
            offset=params["offset"],
        )
        return Response(presenters.page_body(page, presenters.session_row))


class AdminMemoryListApi(APIView):
    permission_classes = [IsAuthenticated, ReadAllMemory]

    class InputSerializer(ListParams):
        search = serializers.CharField(
            required=False,
            default="",
            allow_blank=True,
            max_length=200,
            help_text="Part of the key, value or category (any case)",
        )
        sort_by = _choice(selectors.MEMORY_SORTS, "updated_at")
        user_id = serializers.UUIDField(required=False, help_text="Only this user's facts (404 for an unknown user)")

    class ItemSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        user_id = serializers.UUIDField()
        category = serializers.CharField()
        key = serializers.CharField()
        value = serializers.CharField()
        source = serializers.CharField()
        confidence = serializers.IntegerField(min_value=0, max_value=100)
        updated_at = IsoDateTimeField()

    OutputSerializer = _page_serializer("AdminMemoryPage", ItemSerializer)

    @extend_schema(
        operation_id="admin_memory_list",
        summary="All memory facts of all users, or of one",
        parameters=[InputSerializer],
        responses=OutputSerializer,
        tags=["admin"],
    )
    def get(self, request):
        params = _params(self.InputSerializer, request)
        page = selectors.memory_fact_list_all(
            search=params["search"],
            sort_by=params["sort_by"],
            descending=params["sort_order"] == "desc",
            limit=params["limit"],
            offset=params["offset"],
            user_id=params.get("user_id"),
        )
        return Response(presenters.page_body(page, presenters.memory_fact_row))


class AdminUserListApi(APIView):
    permission_classes = [IsAuthenticated, AdminRole]

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        email = serializers.CharField()
        display_name = serializers.CharField(help_text="Else the username")
        role = serializers.ChoiceField(choices=Role.choices)
        permissions = serializers.ListField(
            child=serializers.CharField(), help_text="As the sign-in server grants them (cached at each login)"
        )
        effective_permissions = serializers.ListField(
            child=serializers.CharField(), help_text="What the user may do: role admin holds every permission"
        )
        is_active = serializers.BooleanField(help_text="False once the sign-in server deleted the user")
        created_at = IsoDateTimeField()
        updated_at = IsoDateTimeField()

    @extend_schema(
        operation_id="admin_users_list",
        summary="Every user, newest first",
        responses=OutputSerializer(many=True),
        tags=["admin"],
    )
    def get(self, request):
        return Response([presenters.user_row(u) for u in selectors.user_list_all()])


class OkSerializer(serializers.Serializer):
    ok = serializers.BooleanField()


class AdminUserRoleApi(APIView):
    permission_classes = [IsAuthenticated, AdminRole]

    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices, error_messages={"invalid_choice": "must be admin or user"})

    @extend_schema(
        operation_id="admin_user_role_set",
        summary="Change a user's cached role",
        description="The role holds until the user's next login or `user.updated` webhook. The last active admin "
        "cannot be demoted (400). Recorded in the audit trail.",
        request=InputSerializer,
        responses=OkSerializer,
        tags=["admin"],
    )
    def patch(self, request, user_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = id_parse(user_id, not_found="User not found")
        user_role_change(actor=request.user, user_id=target, role=data.validated_data["role"])
        return Response({"ok": True})


class AdminProfileListApi(APIView):
    permission_classes = [IsAuthenticated, ManageProfiles]

    class OutputSerializer(serializers.Serializer):
        """Every field of the profile file but `system_prompt`."""

        id = serializers.CharField()
        name = serializers.CharField()
        description = serializers.CharField()
        llm_backend = serializers.CharField()
        model = serializers.CharField()
        enabled_tools = serializers.ListField(child=serializers.CharField())
        planning_enabled = serializers.BooleanField()
        is_admin_only = serializers.BooleanField(help_text="In effect: the override if there is one, else the file's")
        think = serializers.BooleanField()
        think_in_side_calls = serializers.BooleanField()
        max_context_tokens = serializers.IntegerField(allow_null=True)
        max_iterations = serializers.IntegerField()
        options = serializers.DictField()
        is_admin_only_in_file = serializers.BooleanField(help_text="What the profile's file says")

    @extend_schema(
        operation_id="admin_profiles_list",
        summary="Every profile, admin-only ones included",
        responses=OutputSerializer(many=True),
        tags=["admin"],
    )
    def get(self, request):
        return Response([presenters.profile_row(r) for r in selectors.profile_list_all()])


class AdminProfileAvailabilityApi(APIView):
    permission_classes = [IsAuthenticated, ManageProfiles]

    class InputSerializer(serializers.Serializer):
        is_admin_only = StrictBooleanField()

    class OutputSerializer(serializers.Serializer):
        ok = serializers.BooleanField()
        note = serializers.CharField()

    @extend_schema(
        operation_id="admin_profile_availability_set",
        summary="Make a profile admin-only, or open it to everyone",
        description="Stored in the database; wins over the profile file's `is_admin_only` and holds at once in "
        "every server and worker process. Recorded in the audit trail.",
        request=InputSerializer,
        responses=OutputSerializer,
        tags=["admin"],
    )
    def patch(self, request, profile_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile_availability_change(
            actor=request.user, profile_id=profile_id, is_admin_only=data.validated_data["is_admin_only"]
        )
        return Response({"ok": True, "note": AVAILABILITY_NOTE})
