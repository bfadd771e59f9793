from django.contrib import admin

from sessions_app.models import Message, PlanningLog, Run, Session


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "profile_id", "name", "pinned", "last_active")
    list_filter = ("profile_id", "pinned")
    search_fields = ("id", "name", "profile_id", "user__username")


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("id", "session", "status", "created_at", "finished_at")
    list_filter = ("status",)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "session", "role", "created_at")
    list_filter = ("role",)


@admin.register(PlanningLog)
class PlanningLogAdmin(admin.ModelAdmin):
    list_display = ("id", "session", "needs_plan", "created_at")
    list_filter = ("needs_plan",)
