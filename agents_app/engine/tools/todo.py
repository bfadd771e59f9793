"""`todo`: the user's own to-do list, kept by the host's TodoStore."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from agents_app.engine.tools.base import Tool, ToolContext, ToolError


@dataclass(frozen=True)
class TodoEntry:
    id: int
    text: str
    done: bool


class TodoStore(Protocol):
    async def add(self, user_id: str, text: str) -> TodoEntry: ...
    async def list(self, user_id: str) -> list[TodoEntry]: ...
    async def complete(self, user_id: str, item_id: int) -> TodoEntry | None: ...
    async def delete(self, user_id: str, item_id: int) -> bool: ...


def _line(entry: TodoEntry) -> str:
    return f"#{entry.id} [{'x' if entry.done else ' '}] {entry.text}"


def _item_id(args: dict) -> int:
    value = args.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().lstrip("#").isdigit():
        raise ToolError("this action needs `id`: the number of a to-do item (see action `list`)")
    return int(str(value).strip().lstrip("#"))


async def run_todo(args: dict, ctx: ToolContext) -> str:
    store: TodoStore = ctx.ports.todos
    action = args.get("action")
    if action == "add":
        text = str(args.get("text") or "").strip()
        if not text:
            raise ToolError("action `add` needs a non-empty `text`")
        return f"Added {_line(await store.add(ctx.user_id, text))}"
    if action == "list":
        entries = await store.list(ctx.user_id)
        return "\n".join(_line(e) for e in entries) if entries else "The to-do list is empty."
    if action == "complete":
        entry = await store.complete(ctx.user_id, _item_id(args))
        if entry is None:
            raise ToolError(f"no to-do item #{_item_id(args)}")
        return f"Completed {_line(entry)}"
    if action == "delete":
        item_id = _item_id(args)
        if not await store.delete(ctx.user_id, item_id):
            raise ToolError(f"no to-do item #{item_id}")
        return f"Deleted to-do item #{item_id}"
    raise ToolError(f"unknown action {action!r}: use add, list, complete or delete")


todo_tool = Tool(
    name="todo",
    description="Manage the user's to-do list: add an item, list items, complete or delete an item by id.",
    parameters={
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": ["add", "list", "complete", "delete"], "description": "What to do"},
            "text": {"type": "string", "description": "The item's text (for add)"},
            "id": {"type": "integer", "description": "The item's number (for complete and delete)"},
        },
        "required": ["action"],
    },
    run=run_todo,
    timeout=15.0,
)
