"""The adapter against the fake's real-server behaviours: capabilities, thinking by default, cut-off answers,
tool call ids, one context size per model, and the time a queue or a load takes before the first byte."""

from __future__ import annotations

import asyncio

import pytest

from agents_app.engine import ChatMessage, LLMError, ToolCall
from agents_app.ollama import OllamaLLM
from tests.fakes.fake_ollama import script

pytestmark = pytest.mark.asyncio

TODO_TOOL = {
    "type": "function",
    "function": {"name": "todo", "description": "To-dos", "parameters": {"type": "object"}},
}


def adapter(fake, **kwargs) -> OllamaLLM:
    return OllamaLLM(host=fake.url, connect_timeout=2, read_timeout=kwargs.pop("read_timeout", 10), **kwargs)


async def chunks_of(llm: OllamaLLM, model: str, content: str, **kwargs) -> list:
    return [c async for c in llm.chat(model=model, messages=[ChatMessage("user", content)], **kwargs)]


async def test_tools_for_a_model_without_the_capability_are_refused_before_anything_is_sent(fake_ollama):
    with pytest.raises(LLMError, match=r"'notools:1b' cannot call tools .*capabilities as: completion"):
        await chunks_of(adapter(fake_ollama), "notools:1b", "hi", tools=[TODO_TOOL])
    assert fake_ollama.requests() == []  # what a real server would answer 400 to never left Navi


async def test_think_is_left_out_for_a_model_that_cannot_think_so_it_still_answers(fake_ollama):
    chunks = await chunks_of(adapter(fake_ollama), "nothink:3b", "hi", think=True)
    assert "".join(c.content for c in chunks).startswith("Echo: hi")
    assert "think" not in fake_ollama.requests()[-1]


async def test_a_thinking_model_asked_not_to_think_sends_no_reasoning(fake_ollama):
    turn = {"thinking": "Let me reason at length.", "content": "Short answer."}
    llm = adapter(fake_ollama)
    quiet = await chunks_of(llm, "qwen3:8b", script(turn), think=False)
    assert "".join(c.thinking for c in quiet) == "" and "".join(c.content for c in quiet) == "Short answer."
    thinking = await chunks_of(llm, "qwen3:8b", script(turn), think=True)
    assert "".join(c.thinking for c in thinking) == "Let me reason at length."


async def test_a_side_call_does_not_spend_its_budget_on_reasoning(fake_ollama):
    """Left out, `think` would make a thinking model reason first, and num_predict would run out before the text."""
    turn = {"thinking": " ".join(["hmm"] * 50), "content": "The summary."}
    answer = await adapter(fake_ollama).complete(
        model="qwen3:8b", messages=[ChatMessage("user", script(turn))], options={"num_predict": 20}
    )
    assert answer.text == "The summary." and answer.truncated is False


async def test_an_answer_cut_off_at_num_predict_is_marked(fake_ollama):
    words = " ".join(f"w{i}" for i in range(40))
    chunks = await chunks_of(adapter(fake_ollama), "qwen3:8b", script({"content": words}), options={"num_predict": 5})
    assert chunks[-1].done and chunks[-1].done_reason == "length"
    assert "".join(c.content for c in chunks) == "w0 w1 w2 w3 w4 "
    whole = await adapter(fake_ollama).complete(
        model="qwen3:8b", messages=[ChatMessage("user", script({"content": words}))], options={"num_predict": 5}
    )
    assert whole.truncated is True and whole.text == "w0 w1 w2 w3 w4 "


async def test_tool_calls_keep_the_ids_the_server_gave_one_per_chunk_or_in_the_final_one(fake_ollama):
    calls = [{"name": "todo", "arguments": {"action": "list"}}, {"name": "todo", "arguments": {"action": "add"}}]
    for model in ("qwen3:8b", "final-calls:7b"):
        chunks = await chunks_of(
            adapter(fake_ollama), model, script({"content": "On it.", "tool_calls": calls}), tools=[TODO_TOOL]
        )
        got = [call for c in chunks for call in c.tool_calls]
        assert [c.arguments["action"] for c in got] == ["list", "add"], model
        # The server's own ids ("call_" and 8 characters), not the 12-hex ones made up here when a server sends none.
        assert all(c.id.startswith("call_") and len(c.id) == 13 for c in got) and len({c.id for c in got}) == 2
        if model == "final-calls:7b":
            assert chunks[-1].done and len(chunks[-1].tool_calls) == 2


async def test_chat_and_side_calls_ask_for_one_context_size_so_the_model_loads_once(fake_ollama):
    llm = adapter(fake_ollama, context_for_model=lambda model, trained: 16384)
    await chunks_of(llm, "qwen3:8b", "hello")
    await llm.complete(model="qwen3:8b", messages=[ChatMessage("user", "name this")])
    await chunks_of(llm, "qwen3:8b", "again")
    assert fake_ollama.loads == [("qwen3:8b", 16384)]


async def test_a_queued_request_waits_beyond_the_silence_limit_within_the_first_byte_one(fake_ollama):
    fake_ollama.set_parallel(1)
    slow = script({"content": "one two three four", "delay": 0.3})
    llm = adapter(fake_ollama, read_timeout=0.6, first_byte_timeout=10)
    first, second = await asyncio.gather(chunks_of(llm, "qwen3:8b", slow), chunks_of(llm, "qwen3:8b", "queued"))
    assert "".join(c.content for c in first) == "one two three four"
    assert "".join(c.content for c in second).startswith("Echo: queued")


async def test_a_model_load_longer_than_the_first_byte_limit_names_it(fake_ollama):
    fake_ollama.set_model("llama3.2:3b", load_seconds=2)
    with pytest.raises(LLMError, match="NAVI_OLLAMA_FIRST_BYTE_TIMEOUT.*loading"):
        await chunks_of(adapter(fake_ollama, first_byte_timeout=0.5), "llama3.2:3b", "hi")


async def test_a_tool_result_goes_back_with_the_id_of_the_call_it_answers(fake_ollama):
    call = ToolCall(id="call_x1y2", name="todo", arguments={"action": "list"})
    history = [
        ChatMessage("user", "list"),
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", "empty", tool_call_id="call_x1y2", name="todo"),
    ]
    [c async for c in adapter(fake_ollama).chat(model="qwen3:8b", messages=history, tools=[TODO_TOOL])]
    tool_message = fake_ollama.requests()[-1]["messages"][-1]
    assert tool_message["tool_call_id"] == "call_x1y2" and tool_message["tool_name"] == "todo"
