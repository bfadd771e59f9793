"""What one run of the agent is given and what it yields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agents_app.engine.llm import LLM
from agents_app.engine.messages import ChatMessage
from agents_app.engine.stop import StopSignal
from agents_app.engine.tools.base import ToolPorts, ToolRegistry


def context_budget(*, explicit: int | None, default: int, trained: int | None) -> int:
    """A profile's context window: its own, else the default; never more than the model was trained for."""
    wanted = explicit or default
    return min(wanted, trained) if trained else wanted


@dataclass(frozen=True, kw_only=True)
class AgentSpec:
    """The parts of a profile the engine needs."""

    profile_id: str
    name: str
    model: str
    system_prompt: str = ""
    tools: tuple[str, ...] = ()
    # Tools whose calls wait for the user's approval (engine.approval).
    approval_required: tuple[str, ...] = ()
    think: bool = False
    options: Mapping = field(default_factory=dict)
    max_iterations: int = 20
    max_context_tokens: int | None = None
    # The window of a profile that sets none (the host's NAVI_DEFAULT_CONTEXT_TOKENS), capped by the model's own.
    default_context_tokens: int
    planning_enabled: bool = False
    # Side calls (plans, summaries) think only when the profile asks: reasoning would spend their token budget.
    think_in_side_calls: bool = False


@dataclass(frozen=True)
class RunServices:
    llm: LLM
    tools: ToolRegistry
    ports: ToolPorts
    stop: StopSignal
    # Where the user's answers to approval requests come from (engine.approval.ApprovalPort); None: no one can
    # answer, so calls that need approval are denied.
    approvals: Any = None


@dataclass(frozen=True)
class RunInput:
    agent: AgentSpec
    # The model's context so far, ending with the new user message (the system prompt is added by the engine).
    history: tuple[ChatMessage, ...]
    user_id: str
    session_id: str
    # Extra system text for this run, e.g. what the agent remembers about the user.
    system_extras: tuple[str, ...] = ()
    depth: int = 0


# --- What a run yields ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Emit:
    """An event for the client."""

    event: dict


@dataclass(frozen=True)
class Record:
    """A message to store in the conversation, in order."""

    message: ChatMessage


@dataclass(frozen=True)
class ContextUsage:
    """The context size after a model call, to keep on the session."""

    context_tokens: int
    max_context_tokens: int


@dataclass(frozen=True)
class Compress:
    """Replace the stored context, all but its last `keep_recent` messages, with one summary (one transaction).

    The display history keeps every message; `marker` joins it as an `is_compression` message.
    """

    keep_recent: int
    summary: ChatMessage  # is_summary, in the context only
    marker: ChatMessage  # is_compression, in the display history only


@dataclass(frozen=True)
class PlanningTrace:
    """What each planning phase of this run produced, for GET /sessions/{id}/planning."""

    needs_plan: bool
    phases: tuple[tuple[str, str], ...]  # (phase, output)


RunItem = Emit | Record | ContextUsage | Compress | PlanningTrace
