"""Every event a client can receive, as constants and payload builders.

Payloads are plain JSON-ready dicts; `is_subagent` marks events that come from a nested agent.

Sizes: no event a builder makes is larger than EVENT_MAX_BYTES as JSON, so a client whose WebSocket library
keeps its default limit (1 MiB for the `websockets` library) reads every event. Text in tool arguments and
results is cut at TOOL_TEXT_CHARS; any other event still too large has its longest texts cut until it fits. A
cut text ends with a note of its full length, and the event lists the cut fields in `truncated_fields`
(`args.content`, `result`, ...). Events only: the stored messages keep every value whole.
"""

from __future__ import annotations

import json

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

EVENT_MAX_BYTES = 1024 * 1024
TOOL_TEXT_CHARS = 64 * 1024
# Deltas get half: the relay merges a few KB of deltas into one event, which must still fit.
DELTA_MAX_BYTES = EVENT_MAX_BYTES // 2
TRUNCATED_FIELDS = "truncated_fields"
# A delta of at most this many characters fits as JSON whatever they are (12 bytes each at most: a surrogate pair).
_SURELY_FITS_CHARS = (DELTA_MAX_BYTES - 256) // 12
_MAX_NESTING = 32


def _cut_text(text: str, keep: int) -> str:
    return f"{text[:keep]}… [cut: {len(text):,} characters in all]"


def _cut(value, limit: int, path: str, cut: list[str], depth: int = 0):
    """`value` with every text longer than `limit` cut; the paths of what was cut are added to `cut`."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        cut.append(path)
        return _cut_text(value, limit)
    if depth >= _MAX_NESTING and isinstance(value, dict | list):
        cut.append(path)
        return "[nested too deep to show]"
    if isinstance(value, dict):
        return {k: _cut(v, limit, f"{path}.{k}" if path else str(k), cut, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_cut(v, limit, f"{path}[{i}]", cut, depth + 1) for i, v in enumerate(value)]
    return value


def _marked(event: dict, cut: list[str]) -> dict:
    if not cut:
        return event
    return {**event, TRUNCATED_FIELDS: sorted({*event.get(TRUNCATED_FIELDS, ()), *cut})}


def _longest_text(value) -> int:
    if isinstance(value, str):
        return len(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max((_longest_text(v) for v in items), default=0)


def _size(event: dict) -> int:
    return len(json.dumps(event))  # ASCII (json's default), so characters are bytes


def fit_event(event: dict, *, max_bytes: int = EVENT_MAX_BYTES) -> dict:
    """`event` if it fits in `max_bytes` as JSON, else a copy with its longest texts cut as little as needed."""
    if _size(event) <= max_bytes:
        return event
    fields = {k: v for k, v in event.items() if k not in ("type", TRUNCATED_FIELDS)}
    best, low, high = None, 0, _longest_text(fields)
    while low <= high:  # the longest keep that fits: few steps, and only for events that are too large
        keep = (low + high) // 2
        cut: list[str] = []
        candidate = _marked({**event, **_cut(fields, keep, "", cut)}, cut)
        if _size(candidate) <= max_bytes:
            best, low = candidate, keep + 1
        else:
            high = keep - 1
    if best is None:  # too large even with every text emptied: a huge structure, shown as a note
        best = _marked({"type": event["type"]}, sorted(fields))
        best.update({k: "[too large to show]" for k in fields if not isinstance(fields[k], bool | int | float)})
    return best


def _tool_text(value, path: str, cut: list[str]):
    return _cut(value, TOOL_TEXT_CHARS, path, cut)


def stream_start() -> dict:
    return {"type": STREAM_START}


def thinking_delta(delta: str) -> dict:
    if len(delta) <= _SURELY_FITS_CHARS:
        return {"type": THINKING_DELTA, "delta": delta}
    return fit_event({"type": THINKING_DELTA, "delta": delta}, max_bytes=DELTA_MAX_BYTES)


def thinking_end() -> dict:
    return {"type": THINKING_END}


def turn_thinking(thinking: str, *, is_subagent: bool = False) -> dict:
    return fit_event({"type": TURN_THINKING, "thinking": thinking, "is_subagent": is_subagent})


def planning_status(phase: str, label: str, *, is_subagent: bool = False) -> dict:
    return {"type": PLANNING_STATUS, "phase": phase, "label": label, "is_subagent": is_subagent}


def plan_ready(plan: str, *, is_subagent: bool = False) -> dict:
    return fit_event({"type": PLAN_READY, "plan": plan, "is_subagent": is_subagent})


def tool_started(tool: str, args: dict, *, is_subagent: bool = False) -> dict:
    cut: list[str] = []
    event = {"type": TOOL_STARTED, "tool": tool, "args": _tool_text(args, "args", cut), "is_subagent": is_subagent}
    return fit_event(_marked(event, cut))


def tool_approval_required(call_id: str, tool: str, args: dict, *, is_subagent: bool = False) -> dict:
    """The call waits for the user's `tool_approval` answer (CONTRACT section 4)."""
    return {"type": TOOL_APPROVAL_REQUIRED, "call_id": call_id, "tool": tool, "args": args, "is_subagent": is_subagent}


def tool_call(tool: str, args: dict, result: str, success: bool, *, is_subagent: bool = False) -> dict:
    cut: list[str] = []
    event = {
        "type": TOOL_CALL,
        "tool": tool,
        "args": _tool_text(args, "args", cut),
        "result": _tool_text(result, "result", cut),
        "success": success,
        "is_subagent": is_subagent,
    }
    return fit_event(_marked(event, cut))


def stream_delta(delta: str) -> dict:
    if len(delta) <= _SURELY_FITS_CHARS:  # a token: no need to measure it (one per token, on the stream's path)
        return {"type": STREAM_DELTA, "delta": delta}
    return fit_event({"type": STREAM_DELTA, "delta": delta}, max_bytes=DELTA_MAX_BYTES)


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
    return fit_event(
        {
            "type": STREAM_END,
            "content": content,
            "context_tokens": context_tokens,
            "max_context_tokens": max_context_tokens,
            "elapsed_seconds": elapsed_seconds,
            "tool_call_count": tool_call_count,
            "token_count": token_count,
            "truncated": truncated,
        }
    )


def stream_stopped() -> dict:
    return {"type": STREAM_STOPPED}


def profile_switched(profile_id: str, profile_name: str) -> dict:
    return {"type": PROFILE_SWITCHED, "profile_id": profile_id, "profile_name": profile_name}


def context_compressed(messages_before: int, messages_after: int, summary: str) -> dict:
    return fit_event(
        {
            "type": CONTEXT_COMPRESSED,
            "messages_before": messages_before,
            "messages_after": messages_after,
            "summary": summary,
        }
    )


def heartbeat() -> dict:
    return {"type": HEARTBEAT}


def session_sync() -> dict:
    return {"type": SESSION_SYNC}


def replay_start(count: int) -> dict:
    return {"type": REPLAY_START, "count": count}


def replay_end() -> dict:
    return {"type": REPLAY_END}


def error(message: str) -> dict:
    return fit_event({"type": ERROR, "message": message})


def as_subagent(event: dict) -> dict:
    """The same event, marked as coming from a nested agent."""
    return {**event, "is_subagent": True}
