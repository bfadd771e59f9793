"""One whole (unstreamed) model answer that a stop interrupts, for the side calls of a run: summaries, plans."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from agents_app.engine.llm import LLM
from agents_app.engine.messages import ChatMessage
from agents_app.engine.stop import Stopped, StopSignal


async def complete_unless_stopped(
    llm: LLM, stop: StopSignal, *, model: str, messages: Sequence[ChatMessage], options: Mapping | None = None
) -> str:
    """The model's answer; raises Stopped as soon as stop is set (the request is cancelled), LLMError on failure."""
    stop.check()
    answer = asyncio.ensure_future(llm.complete(model=model, messages=messages, options=options))
    stopped = asyncio.Event()
    unwatch = stop.watch(stopped.set)
    waiter = asyncio.ensure_future(stopped.wait())
    try:
        await asyncio.wait({answer, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if answer.done():
            return answer.result()
        raise Stopped
    finally:
        unwatch()
        waiter.cancel()
        if not answer.done():
            answer.cancel()
        await asyncio.gather(answer, waiter, return_exceptions=True)
