"""Stored messages and the engine's ChatMessage: one set of column names, and a round trip that keeps them."""

from __future__ import annotations

import dataclasses

import pytest
from django.utils import timezone

from accounts_app.services import user_get_or_create_owner
from agents_app.conversation import chat_message, message_fields
from agents_app.engine import ChatMessage, ToolCall
from sessions_app.models import MESSAGE_BODY, Message, Session

pytestmark = pytest.mark.django_db


def test_every_stored_body_column_is_a_field_of_the_engines_message():
    assert set(MESSAGE_BODY) - {f.name for f in dataclasses.fields(ChatMessage)} == set()


def test_a_message_stored_from_the_engine_reads_back_the_same():
    session = Session.objects.create(
        user=user_get_or_create_owner(), profile_id="secretary", last_active=timezone.now()
    )
    sent = ChatMessage(
        role="assistant",
        content="Here is the plan",
        tool_calls=(ToolCall(id="call_1", name="todo", arguments={"action": "list"}),),
        thinking="The user wants a list.",
        is_plan=True,
        truncated=True,
        elapsed_seconds=1.5,
        tool_call_count=1,
        token_count=42,
        in_display=False,
    )
    stored = Message.objects.create(session=session, **message_fields(sent))
    stored.refresh_from_db()

    read = chat_message(stored)
    assert dataclasses.replace(read, elapsed_seconds=1.5, tool_call_count=1, token_count=42, in_display=False) == sent
    assert (stored.elapsed_seconds, stored.tool_call_count, stored.token_count) == (1.5, 1, 42)
    assert stored.in_display is False and stored.in_context is True
