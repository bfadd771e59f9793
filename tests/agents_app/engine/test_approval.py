"""The approval step through the engine: a scripted model, a tool that needs approval, and an approval port of
the test's own that answers (or not) when the run announces the call."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from types import SimpleNamespace

import pytest

from agents_app.engine import Emit, Record, RunServices, StopSignal, run_agent
from agents_app.engine.tools import Tool, ToolPorts, ToolRegistry, spawn_agent_tool
from tests.agents_app.engine.helpers import make_input, types
from tests.fakes.scripted_llm import ScriptedLLM, Turn

pytestmark = pytest.mark.asyncio


class Port:
    """The host's side: a future per waiting call, answered by the test."""

    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self.timeout_seconds = timeout_seconds
        self.waiting: dict[str, asyncio.Future] = {}
        self.opened: list[str] = []
        self.closed: list[str] = []
        self.expired: list[str] = []
        # Answers taken (claimed) whose delivery has not reached the run yet, by call id.
        self.taken: dict[str, bool] = {}

    async def open(self, call_id: str) -> None:
        self.opened.append(call_id)
        self.waiting[call_id] = asyncio.get_running_loop().create_future()

    async def wait(self, call_id: str) -> bool:
        return await self.waiting[call_id]

    async def expire(self, call_id: str) -> bool | None:
        self.expired.append(call_id)
        return self.taken.pop(call_id, None)

    async def close(self, call_id: str) -> None:
        self.closed.append(call_id)

    def answer(self, call_id: str, approved: bool) -> None:
        self.waiting[call_id].set_result(approved)


def write_tool(ran: list) -> Tool:
    async def run(args, ctx):
        ran.append(args)
        return f"wrote {args['text']}"

    schema = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
    return Tool(name="write", description="Write text", parameters=schema, run=run)


async def drive(turns, port, *, on_request, tools=("write",), stop=None, ran=None):
    """Run the agent; `on_request(event, port, stop)` is called when a call waits for approval."""
    ran = [] if ran is None else ran
    run_input = make_input(tools=tools)
    run_input = replace(run_input, agent=replace(run_input.agent, approval_required=("write",)))
    agent = run_input.agent
    profiles = SimpleNamespace(lookup=lambda user_id, profile_id: _found(SimpleNamespace(agent=agent)))
    stop = stop or StopSignal()
    services = RunServices(
        llm=ScriptedLLM(turns),
        tools=ToolRegistry([write_tool(ran), spawn_agent_tool]),
        ports=ToolPorts(profiles=profiles),
        stop=stop,
        approvals=port,
    )
    events, recorded = [], []
    async for item in run_agent(run_input, services):
        if isinstance(item, Emit):
            events.append(item.event)
            if item.event["type"] == "tool_approval_required":
                on_request(item.event, port, stop)
        elif isinstance(item, Record):
            recorded.append(item.message)
    return events, recorded, ran, services.llm


async def _found(value):
    return value


def writes(text="milk") -> list[Turn]:
    return [Turn(tool_calls=[("write", {"text": text})]), Turn(content=["Done."])]


def allow(event, port, stop):
    port.answer(event["call_id"], True)


def deny(event, port, stop):
    port.answer(event["call_id"], False)


async def test_an_allowed_call_is_announced_then_runs_and_its_wait_is_closed():
    port = Port()
    events, recorded, ran, _ = await drive(writes(), port, on_request=allow)
    assert types(events) == [
        "stream_start", "tool_started", "tool_approval_required", "tool_call", "stream_delta", "stream_end",
    ]  # fmt: skip
    request = events[2]
    assert request["tool"] == "write" and request["args"] == {"text": "milk"} and request["is_subagent"] is False
    assert port.opened == [request["call_id"]] == port.closed
    assert ran == [{"text": "milk"}] and events[3]["success"] is True and events[3]["result"] == "wrote milk"


async def test_a_denied_call_does_not_run_and_the_model_is_told_so():
    port = Port()
    events, recorded, ran, llm = await drive(writes(), port, on_request=deny)
    done = next(e for e in events if e["type"] == "tool_call")
    assert ran == [] and done["success"] is False and "denied by the user" in done["result"]
    assert "denied by the user" in llm.requests[1]["messages"][-1].content
    assert events[-1]["type"] == "stream_end" and port.closed == port.opened


async def test_no_answer_within_the_timeout_is_a_denial_saying_so():
    port = Port(timeout_seconds=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    events, _, ran, _ = await drive(writes(), port, on_request=lambda *a: None)
    done = next(e for e in events if e["type"] == "tool_call")
    assert ran == [] and done["success"] is False and "not approved within 0.3 s" in done["result"]
    assert 0.3 <= loop.time() - started < 5 and port.closed == port.opened == port.expired


@pytest.mark.parametrize("approved", [True, False], ids=["allowed", "denied"])
async def test_an_answer_taken_at_the_moment_of_the_timeout_counts_as_given(approved):
    """The answer was claimed (the user was told 200) but its delivery had not reached the run when the wait
    timed out: the run's expire finds it taken, and the call runs or is denied as answered."""
    port = Port(timeout_seconds=0.2)

    def take_but_do_not_deliver(event, port, stop):
        port.taken[event["call_id"]] = approved

    events, _, ran, _ = await drive(writes(), port, on_request=take_but_do_not_deliver)
    done = next(e for e in events if e["type"] == "tool_call")
    assert port.expired == port.opened
    if approved:
        assert ran == [{"text": "milk"}] and done["success"] is True
    else:
        assert ran == [] and done["success"] is False and "denied by the user" in done["result"]


@pytest.mark.parametrize("delay", [None, 0.2], ids=["right-after-the-request", "while-waiting"])
async def test_stop_while_waiting_stops_the_run_at_once_and_closes_the_wait(delay):
    port = Port(timeout_seconds=30)
    loop = asyncio.get_running_loop()

    def stop_soon(event, port, stop):
        stop.set() if delay is None else loop.call_later(delay, stop.set)

    started = loop.time()
    events, recorded, ran, _ = await drive(writes(), port, on_request=stop_soon)
    assert loop.time() - started < 5
    assert ran == [] and types(events)[-2:] == ["tool_call", "stream_stopped"]
    assert "stopped by the user" in events[-2]["result"] and port.closed == port.opened
    # The stopped call keeps a result, so the stored context stays well-formed.
    assert [m.role for m in recorded] == ["assistant", "tool"]


async def test_a_sub_agents_call_asks_too_marked_as_a_sub_agents():
    port = Port()
    turns = [
        Turn(tool_calls=[("spawn_agent", {"task": "write milk"})]),  # the main agent
        *writes(),  # the sub-agent
        Turn(content=["The sub-agent wrote it."]),
    ]
    events, _, ran, _ = await drive(turns, port, on_request=allow, tools=("write", "spawn_agent"))
    request = next(e for e in events if e["type"] == "tool_approval_required")
    assert request["is_subagent"] is True and request["tool"] == "write"
    assert ran == [{"text": "milk"}]
    spawned = [e for e in events if e["type"] == "tool_call" and e["tool"] == "spawn_agent"]
    assert spawned[0]["success"] is True and spawned[0]["result"] == "Done."
    assert events[-1]["content"] == "The sub-agent wrote it."


async def test_without_an_approval_port_a_call_that_needs_approval_is_refused():
    events, _, ran, _ = await drive(writes(), None, on_request=allow)
    done = next(e for e in events if e["type"] == "tool_call")
    assert ran == [] and done["success"] is False and "no one can give it here" in done["result"]
    assert "tool_approval_required" not in types(events)
