"""One model call, streamed: thinking, answer text and tool calls become events as they arrive."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from agents_app.engine.agent import Emit
from agents_app.engine.llm import LLMChunk
from agents_app.engine.messages import ToolCall
from agents_app.engine.stop import StopSignal, pump
from navi_project import events


@dataclass
class TurnResult:
    content: str = ""
    thinking: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_eval_count: int = 0
    eval_count: int = 0
    done_reason: str | None = None
    # The reasoning already went out as thinking_delta (answer text followed it): not to be sent again whole.
    thinking_streamed: bool = False

    @property
    def truncated(self) -> bool:
        return self.done_reason == "length"


class TurnProgress:
    """What a turn has produced so far; kept by the caller so a stop or error can save the partial answer."""

    def __init__(self) -> None:
        self.content: list[str] = []
        self.thinking: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.content)

    @property
    def thinking_text(self) -> str:
        return "".join(self.thinking)


async def stream_turn(
    chunks: AsyncIterator[LLMChunk], stop: StopSignal, progress: TurnProgress, result: TurnResult
) -> AsyncIterator[Emit]:
    """Relay one streamed response.

    Reasoning is held until the turn shows what it is: when answer text starts it is sent as thinking_delta +
    thinking_end (the final-answer shape); when the turn ends in tool calls it is sent whole as turn_thinking by
    the caller. Answer text is relayed as it comes.
    """
    thinking_sent = False
    async for chunk in pump(chunks, stop):
        if chunk.thinking:
            progress.thinking.append(chunk.thinking)
            if thinking_sent:
                yield Emit(events.thinking_delta(chunk.thinking))
        if chunk.content:
            if not progress.content and progress.thinking and not thinking_sent:
                yield Emit(events.thinking_delta(progress.thinking_text))
                yield Emit(events.thinking_end())
                thinking_sent = True
            progress.content.append(chunk.content)
            yield Emit(events.stream_delta(chunk.content))
        if chunk.tool_calls:
            result.tool_calls.extend(chunk.tool_calls)
        if chunk.done:
            result.prompt_eval_count = chunk.prompt_eval_count or 0
            result.eval_count = chunk.eval_count or 0
            result.done_reason = chunk.done_reason
    result.thinking_streamed = thinking_sent
    result.content = progress.text
    result.thinking = progress.thinking_text
    if result.thinking and not thinking_sent and not result.tool_calls:
        # Reasoning with no answer text and no tool call: still show it, in the final-answer shape.
        yield Emit(events.thinking_delta(result.thinking))
        yield Emit(events.thinking_end())
        result.thinking_streamed = True
