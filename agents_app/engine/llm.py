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
    # On the last chunk: "stop", or "length" when the answer was cut off at num_predict or the context's end.
    done_reason: str | None = None


@dataclass(frozen=True)
class Completion:
    """A whole answer of a side call (summary, plan, name)."""

    text: str
    truncated: bool = False


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
        """Stream one model response; `think` is honoured where the model can think. Raises LLMError."""
        ...

    async def complete(
        self, *, model: str, messages: Sequence[ChatMessage], options: Mapping | None = None, think: bool = False
    ) -> Completion:
        """One whole answer (summaries, plans, names); side calls do not think unless asked. Raises LLMError."""
        ...

    async def context_length(self, model: str) -> int | None:
        """The model's context window, if the server says; raises LLMError for an unknown model."""
        ...
