"""The port the engine talks to a model through. `agents_app.ollama` implements it over Ollama."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from agents_app.engine.messages import ChatMessage, ToolCall


class LLMError(Exception):
    """The model call failed; the message says why in words a user can act on."""


@dataclass(frozen=True)
class LLMChunk:
    content: str = ""
    thinking: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    done: bool = False
    prompt_eval_count: int | None = None
    eval_count: int | None = None


class LLM(Protocol):
    def chat(
        self,
        *,
        model: str,
        messages: Sequence[ChatMessage],
        tools: Sequence[dict] = (),
        think: bool = False,
        options: Mapping | None = None,
    ) -> AsyncIterator[LLMChunk]:
        """Stream one model response. Raises LLMError."""
        ...

    async def complete(self, *, model: str, messages: Sequence[ChatMessage], options: Mapping | None = None) -> str:
        """One whole, unstreamed answer (summaries, plans). Raises LLMError."""
        ...

    async def context_length(self, model: str) -> int | None:
        """The model's context window, if the server says; raises LLMError for an unknown model."""
        ...
