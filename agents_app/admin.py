from django.contrib import admin

from agents_app.models import MemoryFact, TodoItem


@admin.register(TodoItem)
class TodoItemAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "text", "done", "updated_at")


@admin.register(MemoryFact)
class MemoryFactAdmin(admin.ModelAdmin):
    list_display = ("user", "category", "key", "value", "confidence", "source", "updated_at")
    list_filter = ("category", "source")
    search_fields = ("key", "value", "category")
