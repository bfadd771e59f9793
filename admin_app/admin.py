"""The console itself (/django-admin/): its titles, the audit trail, and the profile availability overrides,
whose delete goes through the audited service."""

from __future__ import annotations

from django.contrib import admin

from admin_app.models import AuditEntry
from admin_app.services import profile_availability_reset
from agents_app.models import ProfileAvailability
from agents_app.profiles import profile_catalog

admin.site.site_header = "Navi administration"
admin.site.site_title = "Navi administration"
admin.site.index_title = "Users, sessions, agents and the audit trail"
admin.site.site_url = "/"


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Who changed what and when: written by the services, never edited or removed here."""

    list_display = ("created_at", "actor_name", "action", "target_name", "target_id", "old_value", "new_value")
    list_filter = ("action",)
    search_fields = ("actor_name", "target_id", "target_name")
    raw_id_fields = ("actor",)
    ordering = ("-created_at", "-id")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProfileAvailability)
class ProfileAvailabilityAdmin(admin.ModelAdmin):
    """Set through PATCH /admin/profiles/{id}/availability; deleting one here hands the profile back to its file."""

    list_display = ("profile_id", "is_admin_only", "in_file", "updated_at", "updated_by")
    list_select_related = ("updated_by",)
    ordering = ("profile_id",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="the file says admin only")
    def in_file(self, row: ProfileAvailability) -> str:
        profile = profile_catalog().get(row.profile_id)
        return "(no such file)" if profile is None else str(profile.is_admin_only)

    def delete_model(self, request, obj: ProfileAvailability) -> None:
        profile_availability_reset(actor=request.user, profile_id=obj.profile_id)

    def delete_queryset(self, request, queryset) -> None:
        for row in queryset:
            profile_availability_reset(actor=request.user, profile_id=row.profile_id)
