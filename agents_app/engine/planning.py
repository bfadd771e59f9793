"""Planning, for profiles with `planning_enabled`: think before the tool loop.

An analysis phase decides whether the request needs a plan. For a non-trivial one, a reflect phase weighs the
approach and a plan phase writes the step list. The client sees `planning_status` per phase and `plan_ready`,
all before the first tool call; the plan is stored as an `is_plan` message and offered to the model during the
tool loop. A failed phase ends planning without a plan: the run goes on as if planning were off.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from agents_app.engine.agent import Emit, PlanningTrace, Record, RunInput, RunServices
from agents_app.engine.completion import complete_unless_stopped
from agents_app.engine.compression import transcript
from agents_app.engine.llm import LLMError
from agents_app.engine.messages import ChatMessage
from navi_project import events

logger = logging.getLogger(__name__)

ANALYSIS, REFLECT, PLAN = "analysis", "reflect", "plan"
LABELS = {ANALYSIS: "Analysing request...", REFLECT: "Reflecting on the approach...", PLAN: "Writing the plan..."}
RECENT_MESSAGES = 6  # earlier messages shown with the request, so "do the same for Paris" makes sense
TRANSCRIPT_CHARS = 6000
VERDICT = re.compile(r"needs_plan\s*[:=]\s*\**\s*(yes|no|true|false)", re.I)

INSTRUCTIONS = {
    ANALYSIS: """You are the planning stage of an AI agent (planning phase: analysis). Decide whether the user's \
latest request needs a multi-step plan before the agent acts. Trivial requests need none: greetings, small talk, \
a question answered from general knowledge, a single simple tool call. Requests that need several tool calls, \
research, or steps that depend on each other need a plan.
Answer with a first line that is exactly `NEEDS_PLAN: yes` or `NEEDS_PLAN: no`, then at most three sentences on \
what the user wants and what is needed to do it.

Tools the agent can use:
{tools}""",
    REFLECT: """You are the planning stage of an AI agent (planning phase: reflect). Given the request and the \
analysis, think about the approach in a few short bullet points: what information is missing, which tools help, \
in what order, what could go wrong and how to check the result.""",
    PLAN: """You are the planning stage of an AI agent (planning phase: plan). Write the plan the agent will \
follow: a numbered list of at most 8 short steps, one line each, naming the tool to use where one is needed. \
Answer with the list only.""",
}


@dataclass
class PlanOutcome:
    """Filled in by `plan_request`: the message that offers the plan to the model, if a plan was made."""

    offer: ChatMessage | None = None
    phases: list[tuple[str, str]] = field(default_factory=list)


def needs_plan(analysis: str) -> bool:
    verdict = VERDICT.search(analysis)
    return bool(verdict) and verdict.group(1).lower() in ("yes", "true")


def offer_message(plan: str) -> ChatMessage:
    """The plan as the model sees it during the tool loop (this run only; the stored plan is for display)."""
    text = f"Plan for the current request, made before acting. Follow it, and adapt it if results call for it:\n{plan}"
    return ChatMessage(role="system", content=text, in_display=False, in_context=False)


def request_text(run: RunInput, phases: list[tuple[str, str]]) -> str:
    recent = [m for m in run.history if m.role in ("user", "assistant") and not m.tool_calls][-RECENT_MESSAGES:]
    parts = ["Conversation (most recent last):\n\n" + transcript(recent, TRANSCRIPT_CHARS)]
    parts += [f"{phase.capitalize()}:\n{output}" for phase, output in phases]
    return "\n\n".join(parts)


def tool_list(run: RunInput, services: RunServices) -> str:
    tools = [services.tools.get(name) for name in run.agent.tools if name in services.tools]
    return "\n".join(f"- {t.name}: {t.description}" for t in tools) or "(none)"


async def plan_request(
    run: RunInput, services: RunServices, outcome: PlanOutcome, *, options: Mapping
) -> AsyncIterator[Emit | Record | PlanningTrace]:
    """The planning phases of one run. Raises Stopped when stopped."""
    sub = run.depth > 0
    instructions = {**INSTRUCTIONS, ANALYSIS: INSTRUCTIONS[ANALYSIS].format(tools=tool_list(run, services))}

    async def phase(name: str) -> str:
        messages = [
            ChatMessage(role="system", content=instructions[name]),
            ChatMessage(role="user", content=request_text(run, outcome.phases)),
        ]
        answer = await complete_unless_stopped(
            services.llm,
            services.stop,
            model=run.agent.model,
            messages=messages,
            options=options,
            think=run.agent.think_in_side_calls,
        )
        text = answer.text.strip()
        if answer.truncated:
            logger.warning("planning phase %s was cut off at its token limit", name)
        outcome.phases.append((name, text))
        return text

    needed = False
    try:
        yield Emit(events.planning_status(ANALYSIS, LABELS[ANALYSIS], is_subagent=sub))
        needed = needs_plan(await phase(ANALYSIS))
        if needed:
            for name in (REFLECT, PLAN):
                yield Emit(events.planning_status(name, LABELS[name], is_subagent=sub))
                await phase(name)
            plan = outcome.phases[-1][1]
            if plan:
                yield Emit(events.plan_ready(plan, is_subagent=sub))
                yield Record(ChatMessage(role="assistant", content=plan, is_plan=True, in_context=False))
                outcome.offer = offer_message(plan)
    except LLMError as exc:
        logger.warning("planning skipped: %s", exc)
        outcome.phases.append(("error", str(exc)))
    yield PlanningTrace(needs_plan=needed, phases=tuple(outcome.phases))
