"""Event sizes (navi_project/events.py): no event is larger than EVENT_MAX_BYTES, large tool arguments and
results are cut in the event and marked, and the stored messages keep every value whole."""

from __future__ import annotations

import json

import pytest

from agents_app.engine.tools import Tool, ToolRegistry
from navi_project import events
from navi_project.events import EVENT_MAX_BYTES, TOOL_TEXT_CHARS
from tests.agents_app.engine.helpers import collect, make_input
from tests.fakes.scripted_llm import ScriptedLLM, Turn

WRITE = "w" * 1_200_000


def size(event: dict) -> int:
    return len(json.dumps(event))


def test_a_filesystem_write_of_1_2_mb_is_cut_in_its_tool_events_and_marked():
    args = {"action": "write", "path": "big.txt", "content": WRITE}
    started = events.tool_started("filesystem", args)
    done = events.tool_call("filesystem", args, "Wrote 1200000 bytes", True)
    for event in (started, done):
        assert size(event) <= EVENT_MAX_BYTES and event["truncated_fields"] == ["args.content"]
        assert event["args"]["action"] == "write" and event["args"]["path"] == "big.txt"
        assert event["args"]["content"].startswith("w" * TOOL_TEXT_CHARS)
        assert event["args"]["content"].endswith("[cut: 1,200,000 characters in all]")
    assert done["result"] == "Wrote 1200000 bytes" and done["success"] is True
    assert args["content"] == WRITE  # the caller's value is never changed


def test_a_large_result_and_nested_arguments_are_cut_with_their_paths():
    event = events.tool_call("memory", {"facts": [{"value": "v" * 2_000_000}]}, "r" * 3_000_000, False)
    assert event["truncated_fields"] == ["args.facts[0].value", "result"]
    assert size(event) <= EVENT_MAX_BYTES


def test_events_too_large_in_any_other_way_are_fitted_to_the_limit():
    many = {f"key{i}": "x" * 100 for i in range(20_000)}  # 2 MB of short values
    assert size(events.tool_started("t", many)) <= EVENT_MAX_BYTES
    answer = events.stream_end(
        "é" * 500_000, context_tokens=1, max_context_tokens=2, elapsed_seconds=0.1, tool_call_count=0, token_count=1
    )
    assert size(answer) <= EVENT_MAX_BYTES and answer["truncated_fields"] == ["content"]
    assert answer["truncated"] is False  # the model's own cut-off flag is another matter
    keys = {"k" * 10 + str(i): i for i in range(200_000)}  # no text to cut at all
    huge = events.tool_started("t", keys)
    assert size(huge) <= EVENT_MAX_BYTES and huge["args"] == "[too large to show]"
    for event in (events.turn_thinking("t" * 2_000_000), events.error("e" * 2_000_000)):
        assert size(event) <= EVENT_MAX_BYTES
    assert size(events.stream_delta("d" * 2_000_000)) <= events.DELTA_MAX_BYTES


def test_events_that_fit_are_left_as_they_are():
    assert events.tool_call("echo", {"text": "hi"}, "echo:hi", True) == {
        "type": "tool_call", "tool": "echo", "args": {"text": "hi"}, "result": "echo:hi", "success": True,
        "is_subagent": False,
    }  # fmt: skip
    assert events.stream_delta("hello") == {"type": "stream_delta", "delta": "hello"}


@pytest.mark.asyncio
async def test_a_tool_call_too_large_for_an_event_is_stored_whole():
    async def write(args, ctx):
        return "r" * 2_000_000

    tool = Tool(name="write", description="Write", parameters={"type": "object"}, run=write, timeout=5)
    llm = ScriptedLLM([Turn(tool_calls=[("write", {"content": WRITE})]), Turn(content=["done"])])
    emitted, records = await collect(make_input(tools=["write"]), llm, registry=ToolRegistry([tool]))
    assert all(size(e) <= EVENT_MAX_BYTES for e in emitted)
    call = next(e for e in emitted if e["type"] == "tool_call")
    assert call["truncated_fields"] == ["args.content", "result"]
    asked, result = records[0], records[1]
    assert asked.tool_calls[0].arguments["content"] == WRITE
    assert result.content == "r" * 2_000_000
