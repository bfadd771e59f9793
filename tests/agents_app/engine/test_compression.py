"""Context compression in the engine: where the context is split, what the model is asked, what the host gets."""

from __future__ import annotations

import asyncio

import pytest

from agents_app.engine import ChatMessage, Completion, Compress, LLMError, RunInput, StopSignal, ToolCall
from agents_app.engine.compression import Budget, choose_split, needs_compression, transcript
from tests.agents_app.engine.completing_llm import CompletingLLM, agent, emitted, items_of
from tests.fakes.scripted_llm import Turn


def user(text):
    return ChatMessage(role="user", content=text)


def answer(text):
    return ChatMessage(role="assistant", content=text)


def call(call_id, text="x"):
    return ChatMessage(role="assistant", tool_calls=(ToolCall(id=call_id, name="echo", arguments={"text": text}),))


def result(call_id, text):
    return ChatMessage(role="tool", content=text, tool_call_id=call_id, name="echo")


def conversation(turns: int, size: int = 400) -> list[ChatMessage]:
    messages = []
    for i in range(turns):
        messages += [user(f"question {i} " + "q" * size), answer(f"answer {i} " + "a" * size)]
    return messages


def never_separates_calls_from_results(messages, split) -> bool:
    older, kept = messages[:split], messages[split:]
    called = {c.id for m in older for c in m.tool_calls}
    answered_later = {m.tool_call_id for m in kept if m.role == "tool"}
    return not (called & answered_later) and kept[0].role != "tool"


def test_compression_triggers_at_eighty_percent_of_the_window():
    assert not needs_compression(799, 1000)
    assert needs_compression(800, 1000)
    assert needs_compression(1200, 1000)
    assert not needs_compression(10, 0)


def test_the_recent_turns_that_fit_the_budget_stay_and_the_split_falls_on_a_user_message():
    messages = conversation(10)  # each message ~ 410 chars = 41 tokens at 0.1 token per char
    split = choose_split(messages, Budget(max_context=1000, tokens_per_char=0.1))  # keep <= 300 tokens
    assert messages[split].role == "user"
    kept = messages[split:]
    assert len(kept) == 6  # three whole turns of ~83 tokens; a fourth would pass 300
    assert [m.content.split()[1] for m in kept[::2]] == ["7", "8", "9"]


def test_a_last_turn_too_big_to_keep_is_split_inside_but_never_between_a_tool_call_and_its_results():
    messages = conversation(2) + [user("do many things")]
    for i in range(12):
        messages += [call(f"c{i}", str(i)), result(f"c{i}", "r" * 500)]
    messages.append(answer("all done"))
    for tokens_per_char in (0.01, 0.05, 0.1, 0.3, 1.0, 5.0):
        split = choose_split(messages, Budget(max_context=1000, tokens_per_char=tokens_per_char))
        assert split is not None and 0 < split < len(messages)
        assert never_separates_calls_from_results(messages, split), tokens_per_char
    # With a mid-size budget the split lands inside the last turn, on a tool-call message.
    split = choose_split(messages, Budget(max_context=1000, tokens_per_char=0.1))
    assert split > 5 and messages[split].tool_calls


def test_every_possible_budget_gives_a_well_formed_split_of_a_mixed_conversation():
    messages = [ChatMessage(role="system", content="Summary of before", is_summary=True), user("u1"), call("a", "1"),
                result("a", "r1" * 100), call("b", "2"), result("b", "r2" * 300), answer("done"), user("u2" * 50),
                answer("ok" * 80)]  # fmt: skip
    for keep in range(0, 3000, 25):
        split = choose_split(messages, Budget(max_context=int(keep / 0.3) or 1, tokens_per_char=1.0))
        assert split is not None and never_separates_calls_from_results(messages, split)


def test_nothing_to_split_in_a_context_of_one_message():
    assert choose_split([user("hi")], Budget(max_context=10, tokens_per_char=1.0)) is None


def test_the_transcript_cuts_long_messages_in_the_middle_to_fit():
    messages = [user("start " + "x" * 5000 + " end"), call("a"), result("a", "y" * 5000), answer("short")]
    text = transcript(messages, 4000)
    assert len(text) < 4000
    assert "User: start" in text and " end" in text and "[...]" in text
    assert "Assistant called: echo({'text': 'x'})" in text and "Tool result (echo):" in text
    assert "Assistant: short" in text


def history(turns=6, size=400) -> tuple[ChatMessage, ...]:
    return (*conversation(turns, size), user("latest question"))


def run_with(history_messages, **agent_fields) -> RunInput:
    return RunInput(agent=agent(**agent_fields), history=tuple(history_messages), user_id="u", session_id="s")


@pytest.mark.asyncio
async def test_a_response_that_fills_the_context_is_followed_by_a_summary_of_the_older_part():
    llm = CompletingLLM([Turn(content=["fresh answer"], prompt_eval_count=850, eval_count=10)], ["They talked a lot."])
    items = await items_of(run_with(history(), max_context_tokens=1000), llm)
    events = emitted(items)
    assert [e["type"] for e in events][-2:] == ["stream_end", "context_compressed"]
    assert events[-2]["context_tokens"] == 860
    compress = next(i for i in items if isinstance(i, Compress))
    assert events[-1] == {
        "type": "context_compressed", "messages_before": 14, "messages_after": compress.keep_recent + 1,
        "summary": "They talked a lot.",
    }  # fmt: skip
    assert compress.summary.is_summary and not compress.summary.in_display and compress.summary.role == "system"
    assert compress.summary.content.endswith("They talked a lot.")
    assert compress.marker.is_compression and compress.marker.in_display and not compress.marker.in_context
    assert 2 <= compress.keep_recent < 14
    # The model was asked to summarize exactly the older messages, not the kept ones.
    (request,) = llm.completions
    asked = request["messages"][1].content
    assert "question 0" in asked and "fresh answer" not in asked and "latest question" not in asked
    assert "You compress a conversation" in request["messages"][0].content
    assert request["options"]["num_predict"] > 0 and request["think"] is False


@pytest.mark.asyncio
async def test_below_the_threshold_the_model_is_not_asked_for_a_summary():
    llm = CompletingLLM([Turn(content=["fine"], prompt_eval_count=700, eval_count=10)], ["unused"])
    items = await items_of(run_with(history(), max_context_tokens=1000), llm)
    assert emitted(items)[-1]["type"] == "stream_end"
    assert llm.completions == [] and not any(isinstance(i, Compress) for i in items)


@pytest.mark.asyncio
@pytest.mark.parametrize("failure", [LLMError("Ollama is unreachable"), "", "   \n"])
async def test_a_failed_or_empty_summary_leaves_the_context_as_it_was_and_the_run_ends_cleanly(failure):
    llm = CompletingLLM([Turn(content=["fine"], prompt_eval_count=900, eval_count=10)], [failure])
    items = await items_of(run_with(history(), max_context_tokens=1000), llm)
    events = emitted(items)
    assert events[-1]["type"] == "stream_end" and events[-1]["content"] == "fine"
    assert len(llm.completions) == 1 and not any(isinstance(i, Compress) for i in items)


@pytest.mark.asyncio
async def test_a_stop_during_summarizing_leaves_the_context_and_the_finished_answer_alone():
    stop = StopSignal()
    llm = CompletingLLM([Turn(content=["fine"], prompt_eval_count=900, eval_count=10)], ["late"], answer_delay=5)

    async def stop_soon():
        await llm.asked.wait()
        stop.set()

    stopper = asyncio.create_task(stop_soon())
    items = await asyncio.wait_for(items_of(run_with(history(), max_context_tokens=1000), llm, stop=stop), 3)
    await stopper
    assert [e["type"] for e in emitted(items)][-1] == "stream_end"
    assert not any(isinstance(i, Compress) for i in items)


@pytest.mark.asyncio
async def test_a_nested_agent_never_compresses():
    llm = CompletingLLM([Turn(content=["fine"], prompt_eval_count=990, eval_count=10)], ["summary"])
    run = RunInput(agent=agent(max_context_tokens=1000), history=history(), user_id="u", session_id="s", depth=1)
    items = await items_of(run, llm)
    assert llm.completions == [] and emitted(items)[-1]["type"] == "stream_end"


@pytest.mark.asyncio
async def test_tool_turns_of_the_run_itself_count_in_the_compressed_context():
    from agents_app.engine.tools import Tool, ToolRegistry

    async def echo(args, ctx):
        return "echoed " + "e" * 800

    tools = ToolRegistry([Tool(name="echo", description="Echo", parameters={"type": "object"}, run=echo)])
    llm = CompletingLLM(
        [Turn(tool_calls=[("echo", {"text": "1"})]), Turn(content=["done"], prompt_eval_count=950, eval_count=10)],
        ["summary of it all"],
    )
    items = await items_of(run_with(history(), max_context_tokens=1000, tools=("echo",)), llm, registry=tools)
    compress = next(i for i in items if isinstance(i, Compress))
    assert emitted(items)[-1]["messages_before"] == 16  # 13 history + tool call + tool result + final answer
    kept_from = 16 - compress.keep_recent
    stored = [*history(), call("call_0", "1"), result("call_0", "x"), answer("done")]
    assert stored[kept_from].role != "tool"


@pytest.mark.asyncio
async def test_a_summary_cut_off_at_its_limit_is_retried_with_twice_the_room():
    cut = Completion(text="They talked about", truncated=True)
    llm = CompletingLLM([Turn(content=["fine"], prompt_eval_count=900, eval_count=10)], [cut, "They talked a lot."])
    items = await items_of(run_with(history(), max_context_tokens=1000), llm)
    first, second = llm.completions
    assert second["options"]["num_predict"] == 2 * first["options"]["num_predict"]
    compress = next(i for i in items if isinstance(i, Compress))
    assert compress.summary.content.endswith("They talked a lot.")


@pytest.mark.asyncio
async def test_a_summary_cut_off_twice_is_never_stored_as_whole():
    cut = Completion(text="They talked about", truncated=True)
    llm = CompletingLLM([Turn(content=["fine"], prompt_eval_count=900, eval_count=10)], [cut, cut])
    items = await items_of(run_with(history(), max_context_tokens=1000), llm)
    assert len(llm.completions) == 2 and not any(isinstance(i, Compress) for i in items)
    assert emitted(items)[-1]["type"] == "stream_end"


@pytest.mark.asyncio
async def test_summaries_do_not_think_unless_the_profile_asks():
    llm = CompletingLLM([Turn(content=["fine"], prompt_eval_count=900, eval_count=10)], ["Summary."])
    await items_of(run_with(history(), max_context_tokens=1000, think=True), llm)
    assert llm.completions[0]["think"] is False
    llm = CompletingLLM([Turn(content=["fine"], prompt_eval_count=900, eval_count=10)], ["Summary."])
    await items_of(run_with(history(), max_context_tokens=1000, think_in_side_calls=True), llm)
    assert llm.completions[0]["think"] is True
