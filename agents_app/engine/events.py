"""Every event a client can receive, as constants and payload builders.

Payloads are plain JSON-ready dicts; `is_subagent` marks events that come from a nested agent.
"""

from __future__ import annotations

STREAM_START = "stream_start"
THINKING_DELTA = "thinking_delta"
THINKING_END = "thinking_end"
TURN_THINKING = "turn_thinking"
PLANNING_STATUS = "planning_status"
PLAN_READY = "plan_ready"
TOOL_STARTED = "tool_started"
TOOL_CALL = "tool_call"
TOOL_APPROVAL_REQUIRED = "tool_approval_required"
STREAM_DELTA = "stream_delta"
STREAM_END = "stream_end"
STREAM_STOPPED = "stream_stopped"
PROFILE_SWITCHED = "profile_switched"
CONTEXT_COMPRESSED = "context_compressed"
HEARTBEAT = "heartbeat"
SESSION_SYNC = "session_sync"
REPLAY_START = "replay_start"
REPLAY_END = "replay_end"
ERROR = "error"

# Events whose text can be merged with the next one of the same type without changing what the client shows.
DELTA_TYPES = frozenset({STREAM_DELTA, THINKING_DELTA})
# The last event of every run is one of these.
TERMINAL_TYPES = frozenset({STREAM_END, STREAM_STOPPED, ERROR})


def stream_start() -> dict:
    return {"type": STREAM_START}


def thinking_delta(delta: str) -> dict:
    return {"type": THINKING_DELTA, "delta": delta}


def thinking_end() -> dict:
    return {"type": THINKING_END}


def turn_thinking(thinking: str, *, is_subagent: bool = False) -> dict:
    return {"type": TURN_THINKING, "thinking": thinking, "is_subagent": is_subagent}


def planning_status(phase: str, label: str, *, is_subagent: bool = False) -> dict:
    return {"type": PLANNING_STATUS, "phase": phase, "label": label, "is_subagent": is_subagent}


def plan_ready(plan: str, *, is_subagent: bool = False) -> dict:
    return {"type": PLAN_READY, "plan": plan, "is_subagent": is_subagent}


def tool_started(tool: str, args: dict, *, is_subagent: bool = False) -> dict:
    return {"type": TOOL_STARTED, "tool": tool, "args": args, "is_subagent": is_subagent}


def tool_approval_required(call_id: str, tool: str, args: dict, *, is_subagent: bool = False) -> dict:
    """The call waits for the user's `tool_approval` answer (CONTRACT section 4)."""
    return {"type": TOOL_APPROVAL_REQUIRED, "call_id": call_id, "tool": tool, "args": args, "is_subagent": is_subagent}


def tool_call(tool: str, args: dict, result: str, success: bool, *, is_subagent: bool = False) -> dict:
    return {
        "type": TOOL_CALL,
        "tool": tool,
        "args": args,
        "result": result,
        "success": success,
        "is_subagent": is_subagent,
    }


def stream_delta(delta: str) -> dict:
    return {"type": STREAM_DELTA, "delta": delta}


def stream_end(
    content: str,
    *,
    context_tokens: int,
    max_context_tokens: int,
    elapsed_seconds: float,
    tool_call_count: int,
    token_count: int,
    truncated: bool = False,
) -> dict:
    """`truncated`: the answer was cut off at the model's token limit (CONTRACT section 7)."""
    return {
        "type": STREAM_END,
        "content": content,
        "context_tokens": context_tokens,
        "max_context_tokens": max_context_tokens,
        "elapsed_seconds": elapsed_seconds,
        "tool_call_count": tool_call_count,
        "token_count": token_count,
        "truncated": truncated,
    }


def stream_stopped() -> dict:
    return {"type": STREAM_STOPPED}


def profile_switched(profile_id: str, profile_name: str) -> dict:
    return {"type": PROFILE_SWITCHED, "profile_id": profile_id, "profile_name": profile_name}


def context_compressed(messages_before: int, messages_after: int, summary: str) -> dict:
    return {
        "type": CONTEXT_COMPRESSED,
        "messages_before": messages_before,
        "messages_after": messages_after,
        "summary": summary,
    }


def heartbeat() -> dict:
    return {"type": HEARTBEAT}


def session_sync() -> dict:
    return {"type": SESSION_SYNC}


def replay_start(count: int) -> dict:
    return {"type": REPLAY_START, "count": count}


def replay_end() -> dict:
    return {"type": REPLAY_END}


def error(message: str) -> dict:
    return {"type": ERROR, "message": message}


def as_subagent(event: dict) -> dict:
    """The same event, marked as coming from a nested agent."""
    return {**event, "is_subagent": True}
