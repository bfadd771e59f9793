"""Asking the user before a tool call runs: the port the host implements, and the wait for its answer.

The host registers the call as waiting (`open`) before the engine announces it, so an answer can never arrive
before anyone listens for it; `close` ends the wait whatever its outcome, so a late answer finds nothing.
When the wait times out, `expire` decides in one atomic step between the timeout and an answer taken at that
very moment (whose delivery may still be on its way): the answer that was taken is the one that counts.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from agents_app.engine.agent import Emit
from agents_app.engine.messages import ToolCall
from agents_app.engine.stop import Stopped, StopSignal
from navi_project import events


class ApprovalPort(Protocol):
    timeout_seconds: float

    async def open(self, call_id: str) -> None:
        """From now on an answer for `call_id` is taken."""

    async def wait(self, call_id: str) -> bool:
        """The user's answer: True to allow the call."""

    async def expire(self, call_id: str) -> bool | None:
        """The wait timed out: None when no answer was taken first (none can be any more), else that answer."""

    async def close(self, call_id: str) -> None:
        """The call waits no more."""


@dataclass(frozen=True)
class Decision:
    approved: bool
    reason: str = ""  # why not, as the tool result


def denied_result(tool: str) -> str:
    return f"Error: this call of {tool} was denied by the user."


def timed_out_result(tool: str, seconds: float) -> str:
    return f"Error: this call of {tool} was not approved within {seconds:g} s, so it was denied."


async def ask_approval(
    call: ToolCall, args: dict, port: ApprovalPort | None, stop: StopSignal, *, is_subagent: bool
) -> AsyncIterator[Emit | Decision]:
    """tool_approval_required, then the wait; the last item is the Decision. Raises Stopped."""
    if port is None:
        yield Decision(False, f"Error: {call.name} needs the user's approval, and no one can give it here.")
        return
    stop.check()
    call_id = uuid.uuid4().hex
    await port.open(call_id)
    try:
        yield Emit(events.tool_approval_required(call_id, call.name, args, is_subagent=is_subagent))
        answer = asyncio.ensure_future(port.wait(call_id))
        stopped = asyncio.get_running_loop().create_future()
        unwatch = stop.watch(lambda: stopped.done() or stopped.set_result(None))
        if stop.is_set():  # set while the request was being sent, before the watch
            stopped.set_result(None)
        try:
            await asyncio.wait({answer, stopped}, timeout=port.timeout_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            unwatch()
            stopped.cancel()
            if not answer.done():
                answer.cancel()
                await asyncio.gather(answer, return_exceptions=True)
        if stop.is_set():
            raise Stopped
        if answer.cancelled():  # timed out
            approved = await port.expire(call_id)
            if approved is None:
                yield Decision(False, timed_out_result(call.name, port.timeout_seconds))
                return
        elif answer.exception() is not None:
            yield Decision(False, f"Error: the approval of {call.name} could not be read: {answer.exception()}")
            return
        else:
            approved = answer.result()
        yield Decision(True) if approved else Decision(False, denied_result(call.name))
    finally:
        await port.close(call_id)
