"""`spawn_agent`: a nested agent works on one task and its final answer becomes the tool's result.

The nested run shares the parent's model, tools and stop signal, so stopping the parent stops it too. Its
progress events reach the client marked `is_subagent: true`, between the parent's `tool_started` and `tool_call`
for spawn_agent; its own conversation is not stored, only the answer is.
"""

from __future__ import annotations

from dataclasses import replace

from agents_app.engine.tools.base import Tool, ToolContext, ToolError
from agents_app.engine.tools.switch_profile import usable_profile
from navi_project import events

MAX_DEPTH = 2  # the main agent is depth 0; a sub-agent may spawn one more level
SUBAGENT_MAX_ITERATIONS = 8
# The nested run's progress; its stream_start/stream_end and answer text stay inside the tool.
FORWARDED = frozenset(
    {
        events.TURN_THINKING, events.PLANNING_STATUS, events.PLAN_READY, events.TOOL_STARTED,
        events.TOOL_APPROVAL_REQUIRED, events.TOOL_CALL,
    }
)  # fmt: skip
SUBAGENT_NOTE = (
    "You are a sub-agent: another agent gave you the task in the user message. Work on it with your tools, "
    "then answer with the result only; that answer is all the other agent will see."
)


async def _agent_for(args: dict, ctx: ToolContext):
    profile_id = args.get("profile_id")
    if profile_id not in (None, ""):
        return (await usable_profile(ctx.ports.profiles, ctx.user_id, profile_id)).agent
    info = await ctx.ports.profiles.lookup(ctx.user_id, ctx.profile_id)
    if info is None:
        raise ToolError(f"the current profile {ctx.profile_id!r} is not available for a sub-agent")
    return info.agent


async def run_spawn_agent(args: dict, ctx: ToolContext) -> str:
    from agents_app.engine.agent import Emit, RunInput  # here: the engine imports the tools package first
    from agents_app.engine.loop import run_agent
    from agents_app.engine.messages import ChatMessage

    task = args.get("task")
    if not isinstance(task, str) or not task.strip():
        raise ToolError("`task` is required: what the sub-agent should do, with everything it needs to know")
    if ctx.depth + 1 > MAX_DEPTH:
        raise ToolError(f"sub-agents may be nested at most {MAX_DEPTH} deep; do this task yourself")
    if ctx.services is None:
        raise ToolError("sub-agents cannot run here")
    agent = await _agent_for(args, ctx)
    agent = replace(agent, max_iterations=min(agent.max_iterations, SUBAGENT_MAX_ITERATIONS))
    sub_run = RunInput(
        agent=agent,
        history=(ChatMessage(role="user", content=task.strip()),),
        user_id=ctx.user_id,
        session_id=ctx.session_id,
        system_extras=(SUBAGENT_NOTE,),
        depth=ctx.depth + 1,
    )
    answer: str | None = None
    async for item in run_agent(sub_run, ctx.services):
        if not isinstance(item, Emit):
            continue  # the nested conversation is not stored
        kind = item.event["type"]
        if kind in FORWARDED:
            ctx.emit(events.as_subagent(item.event))
        elif kind == events.STREAM_END:
            answer = item.event["content"]
        elif kind == events.ERROR:
            raise ToolError(f"the sub-agent failed: {item.event['message']}")
        elif kind == events.STREAM_STOPPED:
            raise ToolError("the sub-agent was stopped")
    return answer.strip() if answer and answer.strip() else "(the sub-agent finished without an answer)"


spawn_agent_tool = Tool(
    name="spawn_agent",
    description=(
        "Hand a self-contained task to a sub-agent and get its final answer back. Optionally run it with another "
        "profile. Give the task everything it needs: the sub-agent does not see this conversation."
    ),
    parameters={
        "type": "object",
        "properties": {
            "task": {"type": "string", "description": "The task, with all the context the sub-agent needs"},
            "profile_id": {"type": "string", "description": "Profile for the sub-agent (default: the current one)"},
        },
        "required": ["task"],
    },
    run=run_spawn_agent,
    timeout=600.0,
)
