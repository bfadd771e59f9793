"""Ollama's /api/chat wire format: the request body Navi sends and the stream parts it reads.

Built and parsed here rather than through the `ollama` client's models: those trim tool schemas to
type/items/description/enum and drop the tool call `id` and `index` that Ollama sends (ollama-python 0.6).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from agents_app.engine import ChatMessage, LLMChunk, ToolCall


def message_payload(message: ChatMessage) -> dict:
    body: dict = {"role": message.role, "content": message.content or ""}
    if message.images:
        body["images"] = list(message.images)
    if message.tool_calls:
        body["tool_calls"] = [
            {"id": c.id, "function": {"index": i, "name": c.name, "arguments": c.arguments}}
            for i, c in enumerate(message.tool_calls)
        ]
    if message.role == "tool":
        if message.name:
            body["tool_name"] = message.name
        if message.tool_call_id:
            body["tool_call_id"] = message.tool_call_id  # which call this answers, when a turn made several
    if message.thinking and message.role == "assistant" and message.tool_calls:
        # Reasoning of a tool-calling turn helps the model continue it; final answers' reasoning is not resent.
        body["thinking"] = message.thinking
    return body


def chat_payload(
    *,
    model: str,
    messages: Sequence[ChatMessage],
    tools: Sequence[dict],
    think: bool | None,
    options: Mapping,
    keep_alive: str | None,
    stream: bool = True,
) -> dict:
    """A chat request. `think` None leaves it out (for models that cannot think)."""
    payload: dict = {"model": model, "messages": [message_payload(m) for m in messages], "stream": stream}
    if tools:
        payload["tools"] = list(tools)
    if think is not None:
        payload["think"] = think
    if options:
        payload["options"] = dict(options)
    if keep_alive is not None:
        payload["keep_alive"] = keep_alive
    return payload


def _tool_call(raw: object) -> ToolCall | None:
    if not isinstance(raw, dict):
        return None
    function = raw.get("function") if isinstance(raw.get("function"), dict) else {}
    name = function.get("name")
    if not isinstance(name, str) or not name:
        return None
    arguments = function.get("arguments")
    call_id = raw.get("id") if isinstance(raw.get("id"), str) and raw.get("id") else f"call_{uuid.uuid4().hex[:12]}"
    return ToolCall(id=call_id, name=name, arguments=arguments if isinstance(arguments, dict) else {})


def chunk_from_part(part: Mapping) -> LLMChunk:
    """One streamed part (a JSON line) as the engine's chunk."""
    message = part.get("message") if isinstance(part.get("message"), dict) else {}
    calls = tuple(c for c in map(_tool_call, message.get("tool_calls") or ()) if c is not None)
    counters = {
        key: part.get(key) if isinstance(part.get(key), int) else None for key in ("prompt_eval_count", "eval_count")
    }
    return LLMChunk(
        content=message.get("content") or "",
        thinking=message.get("thinking") or "",
        tool_calls=calls,
        done=bool(part.get("done")),
        done_reason=part.get("done_reason") if isinstance(part.get("done_reason"), str) else None,
        **counters,
    )
