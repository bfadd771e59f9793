"""One whole (unstreamed) model answer that a stop interrupts, for the side calls of a run: summaries, plans."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import aclosing

from agents_app.engine.llm import LLM, Completion
from agents_app.engine.messages import ChatMessage
from agents_app.engine.stop import StopSignal, pump


async def complete_unless_stopped(
    llm: LLM,
    stop: StopSignal,
    *,
    model: str,
    messages: Sequence[ChatMessage],
    options: Mapping | None = None,
    think: bool = False,
) -> Completion:
    """The model's answer; raises Stopped as soon as stop is set (the request is cancelled), LLMError on failure."""

    async def answer() -> AsyncIterator[Completion]:
        yield await llm.complete(model=model, messages=messages, options=options, think=think)

    async with aclosing(pump(answer(), stop)) as answers:  # pump's reader task is what a stop cancels
        async for text in answers:
            return text
    raise AssertionError("the answer generator yields exactly once")
