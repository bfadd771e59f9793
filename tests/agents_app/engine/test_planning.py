"""Planning in the engine: the analysis decides, the phases come before the first tool call, the plan is offered."""

from __future__ import annotations

import asyncio

import pytest

from agents_app.engine import ChatMessage, LLMError, PlanningTrace, Record, RunInput, StopSignal
from agents_app.engine.planning import needs_plan
from agents_app.engine.tools import Tool, ToolRegistry
from tests.agents_app.engine.completing_llm import CompletingLLM, agent, emitted, items_of
from tests.fakes.scripted_llm import Turn

pytestmark = pytest.mark.asyncio

PLAN = "1. Search the weather\n2. Summarize it"


def tools() -> ToolRegistry:
    async def search(args, ctx):
        return "sunny"

    return ToolRegistry([Tool(name="search", description="Search the web", parameters={"type": "object"}, run=search)])


def planning_run(content="What will the weather be in Paris and in Rome tomorrow?", depth=0) -> RunInput:
    spec = agent(planning_enabled=True, tools=("search",))
    history = (ChatMessage(role="user", content="hi"), ChatMessage(role="assistant", content="Hello!"),
               ChatMessage(role="user", content=content))  # fmt: skip
    return RunInput(agent=spec, history=history, user_id="u", session_id="s", depth=depth)


def tool_loop() -> list[Turn]:
    return [Turn(thinking=["need data"], tool_calls=[("search", {"q": "weather"})]), Turn(content=["Sunny in both."])]


async def test_a_non_trivial_request_gets_every_phase_and_the_plan_before_the_first_tool_call():
    llm = CompletingLLM(tool_loop(), ["NEEDS_PLAN: yes\nTwo cities, two searches.", "- search each city", PLAN])
    items = await items_of(planning_run(), llm, registry=tools())
    events = emitted(items)
    assert [e["type"] for e in events] == [
        "stream_start", "planning_status", "planning_status", "planning_status", "plan_ready", "turn_thinking",
        "tool_started", "tool_call", "stream_delta", "stream_end",
    ]  # fmt: skip
    assert [(e["phase"], e["is_subagent"]) for e in events[1:4]] == [
        ("analysis", False), ("reflect", False), ("plan", False),
    ]  # fmt: skip
    assert all(e["label"] for e in events[1:4])
    assert events[4] == {"type": "plan_ready", "plan": PLAN, "is_subagent": False}
    # The plan is stored for display (not as context of later runs) before the tool-call turn.
    records = [i.message for i in items if isinstance(i, Record)]
    assert records[0].is_plan and records[0].content == PLAN and records[0].role == "assistant"
    assert records[0].in_display and not records[0].in_context
    assert records[1].tool_calls
    # Every model turn of the tool loop sees the plan, after the request.
    assert len(llm.requests) == 2
    for request in llm.requests:
        roles = [m.role for m in request["messages"]]
        offered = [i for i, m in enumerate(request["messages"]) if m.role == "system" and PLAN in (m.content or "")]
        assert len(offered) == 1 and offered[0] > max(i for i, r in enumerate(roles) if r == "user")
    # Each phase sees the request and the phases before it.
    analysis, reflect, plan = (c["messages"] for c in llm.completions)
    assert [c["think"] for c in llm.completions] == [False, False, False]  # side calls never think by default
    assert "planning phase: analysis" in analysis[0].content and "search: Search the web" in analysis[0].content
    assert "Paris and in Rome" in analysis[1].content and "Hello!" in analysis[1].content
    assert "planning phase: reflect" in reflect[0].content and "Two cities, two searches." in reflect[1].content
    assert "planning phase: plan" in plan[0].content and "search each city" in plan[1].content
    (trace,) = [i for i in items if isinstance(i, PlanningTrace)]
    assert trace.needs_plan and [p for p, _ in trace.phases] == ["analysis", "reflect", "plan"]
    assert trace.phases[2][1] == PLAN


async def test_a_trivial_request_is_analysed_and_then_answered_without_a_plan():
    llm = CompletingLLM([Turn(content=["Hi!"])], ["NEEDS_PLAN: no\nA greeting."])
    items = await items_of(planning_run("hello there"), llm, registry=tools())
    events = emitted(items)
    assert [e["type"] for e in events] == ["stream_start", "planning_status", "stream_delta", "stream_end"]
    assert events[1]["phase"] == "analysis"
    assert len(llm.completions) == 1 and not any(isinstance(i, Record) and i.message.is_plan for i in items)
    assert not any(m.role == "system" and "Plan for" in (m.content or "") for m in llm.requests[0]["messages"])
    (trace,) = [i for i in items if isinstance(i, PlanningTrace)]
    assert not trace.needs_plan and trace.phases == (("analysis", "NEEDS_PLAN: no\nA greeting."),)


async def test_a_profile_without_planning_asks_for_no_phase():
    llm = CompletingLLM([Turn(content=["Hi!"])], ["NEEDS_PLAN: yes"])
    run = planning_run()
    run = RunInput(agent=agent(tools=("search",)), history=run.history, user_id="u", session_id="s")
    items = await items_of(run, llm, registry=tools())
    assert [e["type"] for e in emitted(items)] == ["stream_start", "stream_delta", "stream_end"]
    assert llm.completions == [] and not any(isinstance(i, PlanningTrace) for i in items)


async def test_a_nested_agent_marks_its_planning_events_as_subagent():
    llm = CompletingLLM(tool_loop(), ["NEEDS_PLAN: yes", "think", PLAN])
    events = emitted(await items_of(planning_run(depth=1), llm, registry=tools()))
    planning = [e for e in events if e["type"] in ("planning_status", "plan_ready")]
    assert len(planning) == 4 and all(e["is_subagent"] for e in planning)


async def test_a_failing_phase_ends_planning_without_a_plan_and_the_run_goes_on():
    llm = CompletingLLM(tool_loop(), ["NEEDS_PLAN: yes", LLMError("Ollama reported an error")])
    items = await items_of(planning_run(), llm, registry=tools())
    events = emitted(items)
    assert "plan_ready" not in [e["type"] for e in events] and events[-1]["type"] == "stream_end"
    assert [e["phase"] for e in events if e["type"] == "planning_status"] == ["analysis", "reflect"]
    (trace,) = [i for i in items if isinstance(i, PlanningTrace)]
    assert trace.phases[-1] == ("error", "Ollama reported an error")


async def test_a_stop_during_planning_stops_the_run_before_any_model_turn():
    stop = StopSignal()
    llm = CompletingLLM(tool_loop(), ["NEEDS_PLAN: yes"], answer_delay=5)

    async def stop_soon():
        await llm.asked.wait()
        stop.set()

    stopper = asyncio.create_task(stop_soon())
    events = emitted(await asyncio.wait_for(items_of(planning_run(), llm, registry=tools(), stop=stop), 3))
    await stopper
    assert [e["type"] for e in events] == ["stream_start", "planning_status", "stream_stopped"]
    assert llm.requests == []


@pytest.mark.parametrize(
    ("analysis", "expected"),
    [("NEEDS_PLAN: yes\nbecause", True), ("needs_plan: No", False), ("**NEEDS_PLAN:** yes", True),
     ("NEEDS_PLAN = true", True), ("I think a plan helps", False), ("", False), ("NEEDS_PLAN: **yes**", True)],
)  # fmt: skip
async def test_the_analysis_verdict_is_read_from_its_marker_even_in_markdown(analysis, expected):
    assert needs_plan(analysis) is expected


class Profiles:
    """The host's profile directory, reduced to two profiles: the main one and a planning one."""

    def __init__(self, **agents) -> None:
        self.agents = agents

    async def lookup(self, user_id, profile_id):
        from agents_app.engine.tools.switch_profile import ProfileInfo

        spec = self.agents.get(profile_id)
        return ProfileInfo(id=profile_id, name=profile_id, usable=True, agent=spec) if spec else None

    async def available(self, user_id):
        return list(self.agents)

    async def switch(self, session_id, profile_id):
        raise AssertionError("not used")


async def test_a_sub_agent_with_planning_sends_its_planning_events_marked_as_subagent():
    from agents_app.engine import RunServices
    from agents_app.engine.loop import run_agent
    from agents_app.engine.tools import ToolPorts
    from agents_app.engine.tools.spawn_agent import spawn_agent_tool

    main = agent(tools=("spawn_agent",))
    planner = agent(profile_id="planner", planning_enabled=True)
    llm = CompletingLLM(
        [Turn(tool_calls=[("spawn_agent", {"task": "Compare two cities", "profile_id": "planner"})]),
         Turn(content=["Sub answer"]), Turn(content=["Final answer"])],
        ["NEEDS_PLAN: yes", "- two lookups", PLAN],
    )  # fmt: skip
    services = RunServices(
        llm=llm, tools=ToolRegistry([spawn_agent_tool]), ports=ToolPorts(profiles=Profiles(p=main, planner=planner)),
        stop=StopSignal(),
    )  # fmt: skip
    run = RunInput(agent=main, history=(ChatMessage(role="user", content="compare"),), user_id="u", session_id="s")
    items = [item async for item in run_agent(run, services)]
    events = emitted(items)
    assert [(e["type"], e.get("is_subagent")) for e in events] == [
        ("stream_start", None), ("tool_started", False), ("planning_status", True), ("planning_status", True),
        ("planning_status", True), ("plan_ready", True), ("tool_call", False), ("stream_delta", None),
        ("stream_end", None),
    ]  # fmt: skip
    assert events[5]["plan"] == PLAN and events[6]["result"] == "Sub answer"
    # The nested conversation is not stored: neither its plan nor its planning log reach the host.
    assert not any(isinstance(i, PlanningTrace) for i in items)
    assert not any(isinstance(i, Record) and i.message.is_plan for i in items)
