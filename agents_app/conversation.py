"""Between stored messages and the engine's ChatMessage values."""

from __future__ import annotations

from agents_app.engine import ChatMessage, ToolCall
from sessions_app.models import MESSAGE_BODY, Message


def chat_message(message: Message) -> ChatMessage:
    return ChatMessage(
        role=message.role,
        content=message.content,
        images=tuple(message.images or ()),
        tool_calls=tuple(
            ToolCall(id=c.get("id") or "", name=c.get("name") or "", arguments=c.get("arguments") or {})
            for c in message.tool_calls or ()
        ),
        tool_call_id=message.tool_call_id,
        name=message.name,
        thinking=message.thinking,
        is_plan=message.is_plan,
        is_summary=message.is_summary,
        is_compression=message.is_compression,
        truncated=message.truncated,
    )


def message_fields(message: ChatMessage) -> dict:
    """The columns to store for an engine message (its fields are named as the columns are)."""
    return {
        **{column: getattr(message, column) for column in MESSAGE_BODY},
        "images": list(message.images),
        "tool_calls": [c.as_dict() for c in message.tool_calls],
        "in_display": message.in_display,
        "in_context": message.in_context,
    }
