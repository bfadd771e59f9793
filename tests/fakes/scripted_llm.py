"""An in-memory stand-in for the LLM port, for engine tests that run with no server and no Django.

Each call to `chat` plays the next scripted turn; `requests` keeps what the engine asked for.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from agents_app.engine import LLMChunk, LLMError, ToolCall


@dataclass
class Turn:
    thinking: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    tool_calls: list[tuple[str, dict]] = field(default_factory=list)
    delay: float = 0.0  # before each chunk
    error_after: int | None = None  # raise LLMError after this many chunks
    prompt_eval_count: int = 10
    eval_count: int = 5
    done_reason: str = "stop"


class ScriptedLLM:
    def __init__(self, turns: list[Turn], context_length: int | None = 8192) -> None:
        self.turns = list(turns)
        self.requests: list[dict] = []
        self._context_length = context_length
        self.closed_streams = 0

    async def context_length(self, model: str) -> int | None:
        if model == "missing":
            raise LLMError("Model 'missing' is not available")
        return self._context_length

    async def chat(self, *, model, messages, tools=(), think=False, options=None):
        self.requests.append(
            {"model": model, "messages": list(messages), "tools": list(tools), "think": think, "options": options}
        )
        turn = self.turns.pop(0) if self.turns else Turn(content=["Done."])
        chunks = [LLMChunk(thinking=t) for t in turn.thinking] + [LLMChunk(content=c) for c in turn.content]
        if turn.tool_calls:
            calls = tuple(ToolCall(id=f"call_{i}", name=n, arguments=a) for i, (n, a) in enumerate(turn.tool_calls))
            chunks.append(LLMChunk(tool_calls=calls))
        try:
            for index, chunk in enumerate(chunks):
                if turn.error_after is not None and index >= turn.error_after:
                    raise LLMError("model crashed mid-stream")
                if turn.delay:
                    await asyncio.sleep(turn.delay)
                yield chunk
            yield LLMChunk(
                done=True,
                prompt_eval_count=turn.prompt_eval_count,
                eval_count=turn.eval_count,
                done_reason=turn.done_reason,
            )
        finally:
            self.closed_streams += 1
