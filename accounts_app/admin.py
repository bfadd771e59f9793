"""The console's pages for users and their auth sessions. Lists select their related rows in the same query and
skip the unfiltered count, so they stay fast on large tables."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone

from accounts_app.auth_sessions import auth_sessions_end, auth_sessions_end_for_user, idle_limit
from accounts_app.models import AuthSession, User
from accounts_app.services import OWNER_USERNAME

# Cached from the sign-in server, or derived from the role: changed through PATCH /admin/users/{id}/role (which
# guards the last admin and writes the audit trail), never in this form.
_FROM_SIGN_IN = ("role", "permissions", "is_staff", "is_superuser", "oauth_sub")


@admin.register(User)
class NaviUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "email", "role", "is_active", "date_joined", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "email", "display_name", "oauth_sub")
    ordering = ("-date_joined",)
    show_full_result_count = False
    fieldsets = UserAdmin.fieldsets + (("Navi", {"fields": ("display_name", "role", "permissions", "oauth_sub")}),)
    actions = ["end_auth_sessions"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and (obj.oauth_sub or obj.username == OWNER_USERNAME):
            return (*fields, *_FROM_SIGN_IN)
        return fields

    @admin.action(description="End every auth session of the selected users (their sockets close)")
    def end_auth_sessions(self, request, queryset):
        ended = sum(auth_sessions_end_for_user(user=user) for user in queryset)
        self.message_user(request, f"Ended {ended} auth session(s) of {queryset.count()} user(s).", messages.SUCCESS)


class LiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("live", "live"), ("ended", "ended or expired"))

    def queryset(self, request, queryset):
        limit = idle_limit(timezone.now())
        if self.value() == "live":
            return queryset.filter(ended_at__isnull=True, last_used_at__gt=limit)
        if self.value() == "ended":
            return queryset.exclude(ended_at__isnull=True, last_used_at__gt=limit)
        return queryset


@admin.register(AuthSession)
class AuthSessionAdmin(admin.ModelAdmin):
    """Read-only (sessions start at sign-in); ending one closes its sockets on every front end."""

    list_display = ("id", "user_label", "state", "is_mobile", "created_at", "last_used_at", "ended_at", "user_agent")
    list_filter = (LiveFilter, "is_mobile")
    search_fields = ("user__username", "user__email", "user__display_name", "user_agent")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("-last_used_at",)
    show_full_result_count = False
    # Never the token hash: harmless as it is, it is nobody's business.
    fields = ("id", "user", "created_at", "last_used_at", "ended_at", "is_mobile", "user_agent")
    readonly_fields = fields
    actions = ["end_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="user", ordering="user__email")
    def user_label(self, session: AuthSession) -> str:
        return session.user.email or session.user.display_name or session.user.username

    @admin.display(description="state")
    def state(self, session: AuthSession) -> str:
        if session.ended_at is not None:
            return "ended"
        return "live" if session.last_used_at > idle_limit(timezone.now()) else "expired"

    @admin.action(description="End the selected auth sessions (their sockets close)")
    def end_selected(self, request, queryset):
        ended = auth_sessions_end(ids=queryset.values_list("id", flat=True))
        self.message_user(request, f"Ended {ended} auth session(s).", messages.SUCCESS)

    def delete_model(self, request, obj) -> None:
        self.delete_queryset(request, AuthSession.objects.filter(id=obj.id))

    def delete_queryset(self, request, queryset) -> None:
        # Ended first, so their sockets are closed: a deleted row alone would leave them open.
        ids = list(queryset.values_list("id", flat=True))
        auth_sessions_end(ids=ids)
        AuthSession.objects.filter(id__in=ids).delete()
