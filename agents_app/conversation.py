"""Between stored messages and the engine's ChatMessage values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents_app.engine import ChatMessage, ToolCall
from sessions_app.models import MESSAGE_BODY, Message


def chat_message(message: Message | Mapping[str, Any]) -> ChatMessage:
    """From a stored message, or from its row of MESSAGE_BODY columns (`.values()`: a run of a long conversation
    starts sooner without a model instance per message)."""
    row = message if isinstance(message, Mapping) else message.__dict__
    return ChatMessage(
        role=row["role"],
        content=row["content"],
        images=tuple(row["images"] or ()),
        tool_calls=tuple(
            ToolCall(id=c.get("id") or "", name=c.get("name") or "", arguments=c.get("arguments") or {})
            for c in row["tool_calls"] or ()
        ),
        tool_call_id=row["tool_call_id"],
        name=row["name"],
        thinking=row["thinking"],
        is_plan=row["is_plan"],
        is_summary=row["is_summary"],
        is_compression=row["is_compression"],
        truncated=row["truncated"],
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
