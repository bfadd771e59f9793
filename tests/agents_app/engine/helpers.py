from __future__ import annotations

from agents_app.engine import AgentSpec, ChatMessage, Emit, Record, RunInput, RunServices, StopSignal, run_agent
from agents_app.engine.tools import ToolPorts, ToolRegistry


def make_input(
    *, tools=(), max_iterations=5, content="hello", max_context_tokens=None, default_context_tokens=32768
) -> RunInput:
    agent = AgentSpec(
        profile_id="p",
        name="P",
        model="m",
        system_prompt="You are a test agent.",
        tools=tuple(tools),
        max_iterations=max_iterations,
        max_context_tokens=max_context_tokens,
        default_context_tokens=default_context_tokens,
    )
    return RunInput(agent=agent, history=(ChatMessage(role="user", content=content),), user_id="u1", session_id="s1")


async def collect(run_input, llm, *, registry=None, ports=None, stop=None) -> tuple[list[dict], list[ChatMessage]]:
    services = RunServices(
        llm=llm, tools=registry or ToolRegistry(), ports=ports or ToolPorts(), stop=stop or StopSignal()
    )
    emitted, recorded = [], []
    async for item in run_agent(run_input, services):
        if isinstance(item, Emit):
            emitted.append(item.event)
        elif isinstance(item, Record):
            recorded.append(item.message)
    return emitted, recorded


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]
