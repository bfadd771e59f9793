"""The agent loop against a scripted model: event order, storage records, tools, limits, stop and errors."""

from __future__ import annotations

import asyncio
import json

import pytest

from agents_app.engine import StopSignal
from agents_app.engine.tools import Tool, ToolError, ToolRegistry, ToolResult
from tests.agents_app.engine.helpers import collect, make_input, types
from tests.fakes.scripted_llm import ScriptedLLM, Turn

pytestmark = pytest.mark.asyncio


def echo_tool(name="echo", *, timeout=5.0, body=None) -> Tool:
    async def run(args, ctx):
        return f"echo:{args.get('text')}"

    schema = {"type": "object", "properties": {"text": {"type": "string", "minLength": 1}}, "required": ["text"]}
    return Tool(name=name, description="Echo text", parameters=schema, run=body or run, timeout=timeout)


async def test_simple_answer_streams_thinking_then_text_and_ends_with_stats():
    llm = ScriptedLLM([Turn(thinking=["Hmm, ", "ok."], content=["Hel", "lo!"], prompt_eval_count=30, eval_count=7)])
    events, records = await collect(make_input(), llm)
    assert types(events) == [
        "stream_start", "thinking_delta", "thinking_end", "stream_delta", "stream_delta", "stream_end",
    ]  # fmt: skip
    assert events[1]["delta"] == "Hmm, ok."
    end = events[-1]
    assert end["content"] == "Hello!"
    assert end["context_tokens"] == 37 and end["max_context_tokens"] == 8192 and end["token_count"] == 7
    assert end["tool_call_count"] == 0 and end["elapsed_seconds"] >= 0
    assert [(r.role, r.content, r.thinking) for r in records] == [("assistant", "Hello!", "Hmm, ok.")]


async def test_every_payload_survives_a_json_round_trip():
    llm = ScriptedLLM([Turn(tool_calls=[("echo", {"text": "x"})]), Turn(content=["fine"])])
    events, _ = await collect(make_input(tools=["echo"]), llm, registry=ToolRegistry([echo_tool()]))
    assert [json.loads(json.dumps(e)) for e in events] == events


async def test_tool_turns_send_whole_reasoning_then_tool_events_and_feed_results_back():
    llm = ScriptedLLM(
        [
            Turn(thinking=["I should ", "echo."], tool_calls=[("echo", {"text": "a"}), ("echo", {"text": "b"})]),
            Turn(tool_calls=[("echo", {"text": "c"})]),
            Turn(content=["All ", "done"]),
        ]
    )
    events, records = await collect(make_input(tools=["echo"]), llm, registry=ToolRegistry([echo_tool()]))
    assert types(events) == [
        "stream_start", "turn_thinking", "tool_started", "tool_call", "tool_started", "tool_call",
        "tool_started", "tool_call", "stream_delta", "stream_delta", "stream_end",
    ]  # fmt: skip
    assert events[1] == {"type": "turn_thinking", "thinking": "I should echo.", "is_subagent": False}
    assert events[3] == {
        "type": "tool_call", "tool": "echo", "args": {"text": "a"}, "result": "echo:a", "success": True,
        "is_subagent": False,
    }  # fmt: skip
    assert events[-1]["tool_call_count"] == 3
    assert [r.role for r in records] == ["assistant", "tool", "tool", "assistant", "tool", "assistant"]
    assert records[0].tool_calls[1].arguments == {"text": "b"} and records[0].thinking == "I should echo."
    # The second request carries the tool results, tied to their calls.
    second = llm.requests[1]["messages"]
    assert [m.role for m in second] == ["system", "user", "assistant", "tool", "tool"]
    assert second[3].content == "echo:a" and second[3].tool_call_id == records[0].tool_calls[0].id


async def test_schema_reaches_the_model_request_and_the_window_is_capped_by_the_model():
    llm = ScriptedLLM([Turn(content=["x"])], context_length=4096)
    events, _ = await collect(make_input(tools=["echo"]), llm, registry=ToolRegistry([echo_tool()]))
    request = llm.requests[0]
    assert events[-1]["max_context_tokens"] == 4096  # the default (32768) is more than the model has
    assert "num_ctx" not in request["options"]  # the adapter's: one per model, for every call
    assert request["tools"][0]["function"]["parameters"]["properties"]["text"]["minLength"] == 1


async def test_profile_context_size_wins_over_the_model_default():
    llm = ScriptedLLM([Turn(content=["x"])], context_length=4096)
    events, _ = await collect(make_input(max_context_tokens=1000), llm)
    assert events[-1]["max_context_tokens"] == 1000


async def test_without_a_profile_size_the_window_is_the_default_below_the_models_own():
    llm = ScriptedLLM([Turn(content=["x"])], context_length=131072)
    events, _ = await collect(make_input(default_context_tokens=32768), llm)
    assert events[-1]["max_context_tokens"] == 32768


async def test_a_result_with_images_gives_the_model_its_images_and_the_client_its_text():
    async def body(args, ctx):
        return ToolResult("[image: image/png, 70 bytes]", images=("aGVsbG8=",))

    llm = ScriptedLLM([Turn(tool_calls=[("picture", {"text": "x"})]), Turn(content=["A pixel."])])
    events, recorded = await collect(
        make_input(tools=["picture"]), llm, registry=ToolRegistry([echo_tool("picture", body=body)])
    )
    call = next(e for e in events if e["type"] == "tool_call")
    assert call["success"] is True and call["result"] == "[image: image/png, 70 bytes]"
    answer = llm.requests[1]["messages"][-1]
    assert answer.role == "tool" and answer.images == ("aGVsbG8=",)
    assert answer.content == "[image: image/png, 70 bytes]"
    assert next(m for m in recorded if m.role == "tool").images == ("aGVsbG8=",)


async def test_a_tool_the_profile_does_not_enable_is_refused_not_run():
    ran = []

    async def body(args, ctx):
        ran.append(args)
        return "ran"

    llm = ScriptedLLM([Turn(tool_calls=[("secret", {})]), Turn(content=["ok"])])
    registry = ToolRegistry([echo_tool("secret", body=body)])
    events, _ = await collect(make_input(tools=[]), llm, registry=registry)
    call = next(e for e in events if e["type"] == "tool_call")
    assert not ran and call["success"] is False and "not available" in call["result"]


async def test_tool_errors_and_timeouts_become_failed_results_and_the_run_goes_on():
    async def broken(args, ctx):
        raise ToolError("the thing is broken")

    async def crashing(args, ctx):
        return 1 / 0

    async def slow(args, ctx):
        await asyncio.sleep(10)

    registry = ToolRegistry(
        [
            echo_tool("broken", body=broken),
            echo_tool("crashing", body=crashing),
            echo_tool("slow", body=slow, timeout=0.1),
        ]
    )
    llm = ScriptedLLM([Turn(tool_calls=[("broken", {}), ("crashing", {}), ("slow", {})]), Turn(content=["recovered"])])
    events, _ = await collect(make_input(tools=["broken", "crashing", "slow"]), llm, registry=registry)
    results = [e for e in events if e["type"] == "tool_call"]
    assert [r["success"] for r in results] == [False, False, False]
    assert "the thing is broken" in results[0]["result"]
    assert "ZeroDivisionError" in results[1]["result"]
    assert "did not finish within 0.1 s" in results[2]["result"]
    assert events[-1]["type"] == "stream_end" and events[-1]["content"] == "recovered"


async def test_the_iteration_limit_ends_the_run_with_an_error_naming_it():
    llm = ScriptedLLM([Turn(tool_calls=[("echo", {"text": "again"})]) for _ in range(10)])
    events, _ = await collect(make_input(tools=["echo"], max_iterations=3), llm, registry=ToolRegistry([echo_tool()]))
    assert events[-1]["type"] == "error" and "3 model turns" in events[-1]["message"]
    assert len(llm.requests) == 3


async def test_a_model_error_mid_stream_keeps_the_partial_answer_and_reports_the_cause():
    llm = ScriptedLLM([Turn(content=["part ", "one ", "two"], error_after=2)])
    events, records = await collect(make_input(), llm)
    assert types(events)[-1] == "error" and "crashed mid-stream" in events[-1]["message"]
    assert records[-1].content == "part one "


async def test_an_unknown_model_fails_before_any_model_call():
    llm = ScriptedLLM([Turn(content=["x"])])
    run_input = make_input()
    run_input = run_input.__class__(**{**run_input.__dict__, "agent": run_input.agent.__class__(
        **{**run_input.agent.__dict__, "model": "missing"})})  # fmt: skip
    events, _ = await collect(run_input, llm)
    assert types(events) == ["stream_start", "error"] and "missing" in events[1]["message"]
    assert llm.requests == []


async def test_stop_during_a_slow_stream_closes_it_and_keeps_what_was_streamed():
    llm = ScriptedLLM([Turn(content=[f"w{i} " for i in range(50)], delay=0.05)])
    stop = StopSignal()
    asyncio.get_running_loop().call_later(0.3, stop.set)
    events, records = await collect(make_input(), llm, stop=stop)
    assert types(events)[-1] == "stream_stopped"
    streamed = "".join(e["delta"] for e in events if e["type"] == "stream_delta")
    assert 0 < len(streamed) < len("".join(f"w{i} " for i in range(50)))
    assert records[-1].content == streamed
    assert llm.closed_streams == 1


async def test_stop_during_a_slow_tool_cancels_it_and_closes_its_card():
    cancelled = asyncio.Event()

    async def slow(args, ctx):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    llm = ScriptedLLM([Turn(tool_calls=[("slow", {}), ("slow", {})]), Turn(content=["never"])])
    stop = StopSignal()
    asyncio.get_running_loop().call_later(0.2, stop.set)
    events, records = await collect(
        make_input(tools=["slow"]), llm, registry=ToolRegistry([echo_tool("slow", body=slow, timeout=60)]), stop=stop
    )
    assert cancelled.is_set()
    assert types(events) == ["stream_start", "tool_started", "tool_call", "stream_stopped"]
    assert events[2]["success"] is False
    # Both calls keep a result so the stored context stays well-formed.
    assert [r.role for r in records] == ["assistant", "tool", "tool"]


async def test_events_a_tool_emits_arrive_between_its_start_and_its_result():
    async def chatty(args, ctx):
        ctx.emit({"type": "profile_switched", "profile_id": "x", "profile_name": "X"})
        await asyncio.sleep(0.01)
        return "switched"

    llm = ScriptedLLM([Turn(tool_calls=[("chatty", {})]), Turn(content=["ok"])])
    events, _ = await collect(
        make_input(tools=["chatty"]), llm, registry=ToolRegistry([echo_tool("chatty", body=chatty)])
    )
    assert types(events)[1:4] == ["tool_started", "profile_switched", "tool_call"]


async def test_reasoning_then_text_then_a_tool_call_in_one_turn_is_sent_once():
    llm = ScriptedLLM(
        [
            Turn(thinking=["Look it up."], content=["Checking. "], tool_calls=[("echo", {"text": "a"})]),
            Turn(content=["Found it."]),
        ]
    )
    events, records = await collect(make_input(tools=["echo"]), llm, registry=ToolRegistry([echo_tool()]))
    kinds = types(events)
    assert kinds.count("thinking_delta") == 1 and "turn_thinking" not in kinds
    assert kinds[:4] == ["stream_start", "thinking_delta", "thinking_end", "stream_delta"]
    assert records[0].thinking == "Look it up." and records[0].tool_calls[0].name == "echo"


async def test_reasoning_of_a_turn_that_only_calls_tools_still_arrives_whole():
    llm = ScriptedLLM([Turn(thinking=["Use echo."], tool_calls=[("echo", {"text": "a"})]), Turn(content=["ok"])])
    events, _ = await collect(make_input(tools=["echo"]), llm, registry=ToolRegistry([echo_tool()]))
    assert [e["thinking"] for e in events if e["type"] == "turn_thinking"] == ["Use echo."]
    assert "thinking_delta" not in types(events)


async def test_an_answer_cut_off_at_the_token_limit_is_kept_and_marked_truncated():
    llm = ScriptedLLM([Turn(content=["The first half of"], done_reason="length")])
    events, records = await collect(make_input(), llm)
    assert events[-1]["type"] == "stream_end" and events[-1]["truncated"] is True
    assert events[-1]["content"] == "The first half of"
    assert records[-1].truncated is True and records[-1].content == "The first half of"


async def test_a_whole_answer_is_not_marked_truncated():
    events, records = await collect(make_input(), ScriptedLLM([Turn(content=["All of it."])]))
    assert events[-1]["truncated"] is False and records[-1].truncated is False
