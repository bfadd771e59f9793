"""The ORM behind the tools' storage ports."""

from __future__ import annotations

from channels.db import database_sync_to_async

from agents_app.engine.tools.todo import TodoEntry
from agents_app.models import TodoItem


def _entry(item: TodoItem) -> TodoEntry:
    return TodoEntry(id=item.id, text=item.text, done=item.done)


class DjangoTodoStore:
    @database_sync_to_async
    def add(self, user_id: str, text: str) -> TodoEntry:
        return _entry(TodoItem.objects.create(user_id=user_id, text=text))

    @database_sync_to_async
    def list(self, user_id: str) -> list[TodoEntry]:
        return [_entry(item) for item in TodoItem.objects.filter(user_id=user_id)]

    @database_sync_to_async
    def complete(self, user_id: str, item_id: int) -> TodoEntry | None:
        item = TodoItem.objects.filter(user_id=user_id, id=item_id).first()
        if item is None:
            return None
        item.done = True
        item.save(update_fields=["done", "updated_at"])
        return _entry(item)

    @database_sync_to_async
    def delete(self, user_id: str, item_id: int) -> bool:
        deleted, _ = TodoItem.objects.filter(user_id=user_id, id=item_id).delete()
        return deleted > 0
