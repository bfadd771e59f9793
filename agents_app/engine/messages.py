"""The conversation as the engine sees it: frozen values, no ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "arguments": self.arguments}


@dataclass(frozen=True)
class ChatMessage:
    role: str  # user | assistant | tool | system
    content: str | None = None
    images: tuple[str, ...] = ()  # raw base64, no data: prefix
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None  # the tool's name, on tool results
    thinking: str | None = None
    is_plan: bool = False
    is_summary: bool = False
    is_compression: bool = False
    elapsed_seconds: float | None = None
    tool_call_count: int | None = None
    token_count: int | None = None
    # The model stopped at its token limit or the context's end (done_reason "length"): the text is cut off.
    truncated: bool = False
    # Where a stored message shows: the display history, the model's context, or both.
    in_display: bool = True
    in_context: bool = True
    extra: dict = field(default_factory=dict, compare=False)
