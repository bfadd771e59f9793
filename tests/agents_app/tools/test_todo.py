"""todo: each user's own list in the database, with failures that tell the model what to send instead."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from accounts_app.models import User
from agents_app.engine.tools import ToolContext, ToolError, ToolPorts
from agents_app.engine.tools.todo import todo_tool
from agents_app.models import TodoItem
from agents_app.stores import DjangoTodoStore

pytestmark = pytest.mark.django_db(transaction=True)


def todo(user, **args) -> str:
    ctx = ToolContext(user_id=str(user.id), session_id="s", profile_id="p",
                      ports=ToolPorts(todos=DjangoTodoStore()), emit=lambda e: None)  # fmt: skip
    return async_to_sync(todo_tool.run)(args, ctx)


def test_add_list_complete_and_delete_work_on_the_users_own_list():
    ann, bob = User.objects.create(username="ann"), User.objects.create(username="bob")
    first = todo(ann, action="add", text="  buy milk ")
    number = TodoItem.objects.get(user=ann).id
    assert first == f"Added #{number} [ ] buy milk"
    todo(ann, action="add", text="call mum")
    assert todo(bob, action="list") == "The to-do list is empty."
    assert todo(ann, action="complete", id=f"#{number}") == f"Completed #{number} [x] buy milk"
    assert todo(ann, action="list") == f"#{number} [x] buy milk\n#{number + 1} [ ] call mum"
    with pytest.raises(ToolError, match=f"no to-do item #{number}"):
        todo(bob, action="delete", id=number)  # not Bob's
    assert todo(ann, action="delete", id=number) == f"Deleted to-do item #{number}"
    assert list(TodoItem.objects.values_list("text", flat=True)) == ["call mum"]


def test_bad_todo_calls_say_what_is_needed():
    ann = User.objects.create(username="ann")
    for args, message in [
        ({"action": "add", "text": " "}, "action `add` needs a non-empty `text`"),
        ({"action": "complete"}, "this action needs `id`"),
        ({"action": "complete", "id": True}, "this action needs `id`"),
        ({"action": "complete", "id": 999}, "no to-do item #999"),
        ({"action": "archive"}, "unknown action 'archive': use add, list, complete or delete"),
    ]:
        with pytest.raises(ToolError, match=message):
            todo(ann, **args)
    assert TodoItem.objects.count() == 0
