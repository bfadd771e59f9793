from django.contrib import admin

from agents_app.models import TodoItem


@admin.register(TodoItem)
class TodoItemAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "text", "done", "updated_at")
