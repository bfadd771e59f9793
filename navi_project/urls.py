from django.contrib import admin
from django.urls import path

from accounts_app.apis import LogoutApi, MeApi, gnexus_auth_webhook
from accounts_app.auth_views import auth_callback, auth_login, auth_mobile_done
from admin_app.apis import (
    AdminMemoryListApi,
    AdminProfileAvailabilityApi,
    AdminProfileListApi,
    AdminSessionListApi,
    AdminUserListApi,
    AdminUserRoleApi,
)
from agents_app.apis import ProfileListApi, SessionContextApi, ToolListApi
from agents_app.naming_apis import session_generate_name
from navi_project import views
from navi_project.schema_views import ApiDocsView, ApiSchemaView
from sessions_app.apis import (
    SessionApprovalApi,
    SessionDetailApi,
    SessionListCreateApi,
    SessionPinApi,
    SessionStopApi,
)
from sessions_app.file_apis import session_file_download, session_files_upload
from sessions_app.planning_apis import SessionPlanningApi
from sessions_app.sync_messages import session_messages

urlpatterns = [
    path("", views.index, name="index"),
    path("health", views.health),
    path("static/<path:path>", views.static_file),
    path("django-admin/", admin.site.urls),
    path("auth/login", auth_login),
    path("auth/callback", auth_callback),
    path("auth/mobile-done", auth_mobile_done),
    path("auth/logout", LogoutApi.as_view()),
    path("auth/me", MeApi.as_view()),
    path("webhooks/gnexus-auth", gnexus_auth_webhook),
    path("agents/profiles", ProfileListApi.as_view()),
    path("agents/tools", ToolListApi.as_view()),
    path("sessions", SessionListCreateApi.as_view()),
    path("sessions/<str:session_id>", SessionDetailApi.as_view()),
    path("sessions/<str:session_id>/pin", SessionPinApi.as_view()),
    path("sessions/<str:session_id>/context", SessionContextApi.as_view()),
    path("sessions/<str:session_id>/planning", SessionPlanningApi.as_view()),
    path("sessions/<str:session_id>/generate-name", session_generate_name),
    path("sessions/<str:session_id>/stop", SessionStopApi.as_view()),
    path("sessions/<str:session_id>/approvals/<str:call_id>", SessionApprovalApi.as_view()),
    path("sessions/<str:session_id>/messages", session_messages),
    path("sessions/<str:session_id>/files", session_files_upload),
    path("sessions/<str:session_id>/files/<path:filename>", session_file_download),
    path("admin/sessions", AdminSessionListApi.as_view()),
    path("admin/users", AdminUserListApi.as_view()),
    path("admin/users/<str:user_id>/role", AdminUserRoleApi.as_view()),
    path("admin/memory", AdminMemoryListApi.as_view()),
    path("admin/profiles", AdminProfileListApi.as_view()),
    path("admin/profiles/<str:profile_id>/availability", AdminProfileAvailabilityApi.as_view()),
    path("api/schema", ApiSchemaView.as_view(), name="api-schema"),
    path("api/docs", ApiDocsView.as_view()),
]

handler400 = "navi_project.views.bad_request"
handler403 = "navi_project.views.forbidden"
handler404 = "navi_project.views.not_found"
handler500 = "navi_project.views.server_error"
