"""Running one tool call: refusals, timeouts, errors as results, events the tool sends, and stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from agents_app.engine.agent import Emit
from agents_app.engine.messages import ToolCall
from agents_app.engine.stop import Stopped, StopSignal
from agents_app.engine.tools.base import Tool, ToolContext, ToolError, ToolResult


@dataclass(frozen=True)
class ToolOutcome:
    result: str
    success: bool
    images: tuple[str, ...] = ()  # for the model, on the tool message


_DONE = object()
_STOP = object()


def refusal(call: ToolCall, tool: Tool | None, enabled: tuple[str, ...]) -> str | None:
    """Why this call must not run, or None."""
    if tool is None or call.name not in enabled:
        offered = ", ".join(enabled) or "none"
        return f"Tool {call.name!r} is not available to this agent (available: {offered})."
    if not isinstance(call.arguments, dict):
        return f"Tool {call.name!r} needs its arguments as a JSON object."
    return None


async def run_tool(
    tool: Tool, call: ToolCall, ctx_for: callable, stop: StopSignal
) -> AsyncIterator[Emit | ToolOutcome]:
    """Run `tool`, relaying the events it emits; the last item is its ToolOutcome. Raises Stopped."""
    stop.check()
    queue: asyncio.Queue = asyncio.Queue()
    ctx: ToolContext = ctx_for(queue.put_nowait)
    task = asyncio.create_task(asyncio.wait_for(tool.run(call.arguments, ctx), timeout=tool.timeout))
    task.add_done_callback(lambda _: queue.put_nowait(_DONE))
    unwatch = stop.watch(lambda: queue.put_nowait(_STOP))
    try:
        while True:
            item = await queue.get()
            if item is _DONE:
                break
            if item is _STOP:
                raise Stopped
            yield Emit(item)
    finally:
        unwatch()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    yield _outcome(task, tool)


def _outcome(task: asyncio.Task, tool: Tool) -> ToolOutcome:
    try:
        result = task.result()
    except ToolError as exc:
        return ToolOutcome(f"Error: {exc}", False)
    except TimeoutError:
        return ToolOutcome(f"Error: {tool.name} did not finish within {tool.timeout:g} s and was cancelled.", False)
    except Exception as exc:  # a tool's own bug must not end the run: the model sees it and can go on
        return ToolOutcome(f"Error: {tool.name} failed: {type(exc).__name__}: {exc}", False)
    if isinstance(result, ToolResult):
        return ToolOutcome(result.text, True, tuple(result.images))
    return ToolOutcome(result if isinstance(result, str) else str(result), True)
