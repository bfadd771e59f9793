"""The console's pages for users' to-do items and memory facts (the profile availability overrides are
admin_app's: changing them is audited)."""

from __future__ import annotations

from django.contrib import admin

from agents_app.models import MemoryFact, TodoItem


def _user_label(user) -> str:
    return user.email or user.display_name or user.username


@admin.register(TodoItem)
class TodoItemAdmin(admin.ModelAdmin):
    list_display = ("id", "user_label", "text", "done", "created_at", "updated_at")
    list_filter = ("done",)
    search_fields = ("text", "user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("-id",)
    show_full_result_count = False

    @admin.display(description="user", ordering="user__email")
    def user_label(self, item: TodoItem) -> str:
        return _user_label(item.user)


@admin.register(MemoryFact)
class MemoryFactAdmin(admin.ModelAdmin):
    list_display = ("key", "value", "category", "user_label", "confidence", "source", "updated_at")
    list_filter = ("category", "source")
    search_fields = ("key", "value", "category", "user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("-updated_at", "-id")
    show_full_result_count = False

    @admin.display(description="user", ordering="user__email")
    def user_label(self, fact: MemoryFact) -> str:
        return _user_label(fact.user)
