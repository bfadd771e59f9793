from django.contrib import admin
from django.urls import path

from accounts_app.apis import MeApi
from agents_app.apis import ProfileListApi, SessionContextApi, ToolListApi
from navi_project import views
from sessions_app.apis import SessionDetailApi, SessionListCreateApi, SessionPinApi, SessionStopApi
from sessions_app.sync_messages import session_messages

urlpatterns = [
    path("", views.index, name="index"),
    path("health", views.health),
    path("static/<path:path>", views.static_file),
    path("django-admin/", admin.site.urls),
    path("auth/me", MeApi.as_view()),
    path("agents/profiles", ProfileListApi.as_view()),
    path("agents/tools", ToolListApi.as_view()),
    path("sessions", SessionListCreateApi.as_view()),
    path("sessions/<str:session_id>", SessionDetailApi.as_view()),
    path("sessions/<str:session_id>/pin", SessionPinApi.as_view()),
    path("sessions/<str:session_id>/context", SessionContextApi.as_view()),
    path("sessions/<str:session_id>/stop", SessionStopApi.as_view()),
    path("sessions/<str:session_id>/messages", session_messages),
]

handler404 = "navi_project.views.not_found"
handler500 = "navi_project.views.server_error"
