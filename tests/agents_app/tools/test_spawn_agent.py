"""spawn_agent: a nested agent's events inside the parent's tool call, its answer as the result, and its bounds."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from agents_app.engine import AgentSpec, Emit, RunServices, StopSignal, run_agent
from agents_app.engine.tools import Tool, ToolPorts, ToolRegistry
from agents_app.engine.tools.spawn_agent import SUBAGENT_MAX_ITERATIONS, SUBAGENT_NOTE, spawn_agent_tool
from tests.agents_app.engine.helpers import collect, make_input, types
from tests.agents_app.tools.profiles import DictProfiles
from tests.fakes.scripted_llm import ScriptedLLM, Turn

pytestmark = pytest.mark.asyncio

TOOLS = ("spawn_agent", "echo")


def echo_tool() -> Tool:
    async def run(args, ctx):
        return f"echo:{args.get('text')}"

    return Tool("echo", "Echo", {"type": "object", "properties": {"text": {"type": "string"}}}, run, timeout=5)


def setup(*, is_admin=False, extra_tools=()):
    parent = make_input(tools=TOOLS)
    researcher = AgentSpec(
        profile_id="researcher", name="Researcher", model="research-model", system_prompt="You research.",
        tools=("echo",), max_iterations=30, default_context_tokens=32768,
    )  # fmt: skip
    vault = AgentSpec(profile_id="vault", name="Vault", model="m", tools=("echo",), default_context_tokens=32768)
    profiles = DictProfiles(parent.agent, researcher, vault, admin_only=("vault",), is_admin=is_admin)
    registry = ToolRegistry([spawn_agent_tool, echo_tool(), *extra_tools])
    return parent, ToolPorts(profiles=profiles), registry


async def test_sub_agent_events_come_marked_between_the_parents_tool_events_and_its_answer_is_the_result():
    parent, ports, registry = setup()
    llm = ScriptedLLM(
        [
            Turn(tool_calls=[("spawn_agent", {"task": "Echo the word moon."})]),
            Turn(thinking=["I will echo."], tool_calls=[("echo", {"text": "moon"})]),  # the sub-agent
            Turn(content=["The echo said moon."]),  # the sub-agent's answer
            Turn(content=["Sub-agent reports: moon."]),
        ]
    )
    events, records = await collect(parent, llm, registry=registry, ports=ports)
    assert [(e["type"], e.get("tool"), e.get("is_subagent")) for e in events] == [
        ("stream_start", None, None),
        ("tool_started", "spawn_agent", False),
        ("turn_thinking", None, True),
        ("tool_started", "echo", True),
        ("tool_call", "echo", True),
        ("tool_call", "spawn_agent", False),
        ("stream_delta", None, None),
        ("stream_end", None, None),
    ]
    assert events[4]["result"] == "echo:moon"
    assert events[5] == {
        "type": "tool_call", "tool": "spawn_agent", "args": {"task": "Echo the word moon."},
        "result": "The echo said moon.", "success": True, "is_subagent": False,
    }  # fmt: skip
    assert events[-1]["content"] == "Sub-agent reports: moon." and events[-1]["tool_call_count"] == 1
    # Only the parent's conversation is stored; the sub-agent's turns stay inside the tool.
    assert [(r.role, r.name) for r in records] == [("assistant", None), ("tool", "spawn_agent"), ("assistant", None)]
    sub_request = llm.requests[1]
    assert [m.role for m in sub_request["messages"]] == ["system", "user"]
    assert SUBAGENT_NOTE in sub_request["messages"][0].content
    assert sub_request["messages"][1].content == "Echo the word moon."
    assert [t["function"]["name"] for t in sub_request["tools"]] == list(TOOLS)
    assert [json.loads(json.dumps(e)) for e in events] == events


async def test_a_sub_agent_can_run_with_another_profile():
    parent, ports, registry = setup()
    llm = ScriptedLLM(
        [
            Turn(tool_calls=[("spawn_agent", {"task": "Look it up", "profile_id": "researcher"})]),
            Turn(content=["Found it."]),
            Turn(content=["ok"]),
        ]
    )
    events, _ = await collect(parent, llm, registry=registry, ports=ports)
    assert llm.requests[1]["model"] == "research-model"
    assert llm.requests[1]["messages"][0].content.startswith("You research.")
    assert [t["function"]["name"] for t in llm.requests[1]["tools"]] == ["echo"]
    assert next(e for e in events if e["type"] == "tool_call")["result"] == "Found it."


async def test_admin_only_and_unknown_profiles_are_refused_for_a_sub_agent():
    parent, ports, registry = setup(is_admin=False)
    llm = ScriptedLLM(
        [
            Turn(tool_calls=[("spawn_agent", {"task": "x", "profile_id": "vault"}),
                             ("spawn_agent", {"task": "x", "profile_id": "nobody"}),
                             ("spawn_agent", {"task": " "})]),
            Turn(content=["ok"]),
        ]
    )  # fmt: skip
    events, _ = await collect(parent, llm, registry=registry, ports=ports)
    results = [(e["success"], e["result"]) for e in events if e["type"] == "tool_call"]
    assert results == [
        (False, "Error: profile 'vault' is for administrators only; this user lacks navi.profiles.manage"),
        (False, "Error: there is no profile 'nobody' (profiles you can use: p, researcher)"),
        (False, "Error: `task` is required: what the sub-agent should do, with everything it needs to know"),
    ]
    assert len(llm.requests) == 2  # no sub-agent ever ran


async def test_nesting_depth_is_bounded():
    parent, ports, registry = setup()
    llm = ScriptedLLM(
        [
            Turn(tool_calls=[("spawn_agent", {"task": "level 1"})]),
            Turn(tool_calls=[("spawn_agent", {"task": "level 2"})]),  # depth 1 spawns depth 2
            Turn(tool_calls=[("spawn_agent", {"task": "level 3"})]),  # depth 2 may not go deeper
            Turn(content=["did it myself"]),
            Turn(content=["level 2 done"]),
            Turn(content=["all done"]),
        ]
    )
    events, _ = await collect(parent, llm, registry=registry, ports=ports)
    calls = [e for e in events if e["type"] == "tool_call"]
    assert [(c["args"]["task"], c["success"], c["is_subagent"]) for c in calls] == [
        ("level 3", False, True), ("level 2", True, True), ("level 1", True, False),
    ]  # fmt: skip
    assert calls[0]["result"] == "Error: sub-agents may be nested at most 2 deep; do this task yourself"
    assert calls[1]["result"] == "did it myself" and calls[2]["result"] == "level 2 done"
    assert events[-1]["content"] == "all done"


async def test_a_sub_agent_that_never_answers_is_cut_off_and_the_parent_goes_on():
    parent, ports, registry = setup()
    looping = [Turn(tool_calls=[("echo", {"text": "again"})]) for _ in range(SUBAGENT_MAX_ITERATIONS)]
    # The researcher profile allows 30 turns; a sub-agent gets at most SUBAGENT_MAX_ITERATIONS of them.
    first = Turn(tool_calls=[("spawn_agent", {"task": "loop", "profile_id": "researcher"})])
    llm = ScriptedLLM([first, *looping, Turn(content=["gave up"])])
    events, _ = await collect(parent, llm, registry=registry, ports=ports)
    spawn = [e for e in events if e["type"] == "tool_call" and e["tool"] == "spawn_agent"][0]
    assert spawn["success"] is False
    assert spawn["result"].startswith(f"Error: the sub-agent failed: The agent stopped after {SUBAGENT_MAX_ITERATIONS}")
    assert len(llm.requests) == 1 + SUBAGENT_MAX_ITERATIONS + 1
    assert events[-1] == {**events[-1], "type": "stream_end", "content": "gave up"}


async def test_stop_reaches_the_sub_agent_and_its_running_tool():
    cancelled = asyncio.Event()
    started = asyncio.Event()

    async def slow(args, ctx):
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    slow_tool = Tool("slow", "Slow", {"type": "object", "properties": {}}, slow, timeout=60)
    parent, ports, registry = setup(extra_tools=[slow_tool])
    parent = replace(parent, agent=replace(parent.agent, tools=(*TOOLS, "slow")))
    ports.profiles.agents["p"] = parent.agent
    llm = ScriptedLLM(
        [Turn(tool_calls=[("spawn_agent", {"task": "be slow"})]), Turn(tool_calls=[("slow", {})]), Turn(content=["x"])]
    )
    stop = StopSignal()
    services = RunServices(llm=llm, tools=registry, ports=ports, stop=stop)
    events = []

    async def drive() -> None:
        async for item in run_agent(parent, services):
            if isinstance(item, Emit):
                events.append(item.event)

    run = asyncio.create_task(drive())
    await asyncio.wait_for(started.wait(), 5)
    loop = asyncio.get_running_loop()
    stopped_at = loop.time()
    stop.set()
    await asyncio.wait_for(run, 5)
    assert loop.time() - stopped_at < 1 and cancelled.is_set()
    assert types(events) == ["stream_start", "tool_started", "tool_started", "tool_call", "stream_stopped"]
    assert events[2] == {"type": "tool_started", "tool": "slow", "args": {}, "is_subagent": True}
    assert events[3]["tool"] == "spawn_agent" and events[3]["success"] is False and not events[3]["is_subagent"]
    assert len(llm.requests) == 2  # the sub-agent asked the model once, and nobody asked again after stop
