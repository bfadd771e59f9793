"""The fake answers as a real Ollama (0.32.x, ollama/ollama at fb30760) does, model by model.

Each test names the Ollama source it copies; it drives the fake over HTTP with httpx and, where a client's view
matters, with the installed `ollama` client (ollama-python 0.6, whose typed models drop a tool call's `id`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import ollama
import pytest

from tests.fakes.fake_ollama import FakeOllama, script
from tests.fakes.fake_ollama.server import DEFAULT_REASONING, PROMPT_TOO_LONG

CALL_ID = re.compile(r"call_[a-z0-9]{8}")
TODO = {"type": "function", "function": {"name": "todo", "description": "A list", "parameters": {"type": "object"}}}


def chat(fake: FakeOllama, model: str, content: str, **body) -> httpx.Response:
    payload = {"model": model, "messages": [{"role": "user", "content": content}], **body}
    return httpx.post(f"{fake.url}/api/chat", json=payload, timeout=10)


def parts(response: httpx.Response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def joined(lines: list[dict], field: str) -> str:
    return "".join(p.get("message", {}).get(field, "") for p in lines)


def calls_of(lines: list[dict]) -> list[dict]:
    return [c for p in lines for c in p.get("message", {}).get("tool_calls", [])]


async def timed_stream(client: httpx.AsyncClient, url: str, body: dict) -> tuple[float, float, list[dict]]:
    """(time of the first part, time of the last, the parts) of one streamed chat."""
    first, lines = 0.0, []
    async with client.stream("POST", f"{url}/api/chat", json=body) as response:
        async for line in response.aiter_lines():
            if line.strip():
                first = first or time.monotonic()
                lines.append(json.loads(line))
    return first, time.monotonic(), lines


# --- What each model can do ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_show_reports_each_models_capabilities_and_context_length(fake_ollama):
    # server/routes.go GetModelInfo: `Capabilities: m.Capabilities()` and model_info "<arch>.context_length".
    client = ollama.AsyncClient(host=fake_ollama.url)
    qwen, llama, notools = [await client.show(m) for m in ("qwen3:8b", "llama3.2:3b", "notools:1b")]
    assert set(qwen.capabilities) == {"completion", "tools", "thinking"}
    assert qwen.modelinfo["qwen3.context_length"] == 40960
    assert set(llama.capabilities) == {"completion", "tools"} and llama.modelinfo["llama.context_length"] == 131072
    assert notools.capabilities == ["completion"]
    async with httpx.AsyncClient(timeout=5) as http:
        gemma = (await http.post(f"{fake_ollama.url}/api/show", json={"model": "gemma4:26b-a4b-it-q4_K_M"})).json()
    assert "thinking" in gemma["capabilities"] and gemma["model_info"]["gemma4.context_length"] == 131072
    fake_ollama.add_model("mini:1b", 2048, arch="qwen2", capabilities=["completion"], thinks_by_default=False)
    assert (await client.show("mini:1b")).capabilities == ["completion"]


def test_think_true_to_a_model_that_cannot_think_is_refused_with_ollamas_words(fake_ollama):
    # server/routes.go ChatHandler L2628: fmt.Sprintf("%q does not support thinking", req.Model), status 400.
    for think in (True, "high"):  # api/types.go ThinkValue.Bool: a level means true
        refused = chat(fake_ollama, "nothink:3b", "hi", think=think)
        assert refused.status_code == 400 and refused.json() == {"error": '"nothink:3b" does not support thinking'}
    assert fake_ollama.loads == []  # refused before the scheduler


@pytest.mark.asyncio
async def test_the_ollama_client_sees_the_refusals_as_response_errors(fake_ollama):
    # server/routes.go ChatHandler L2628 and scheduleRunner L212 (the full name, images.go CheckCapabilities L573).
    client = ollama.AsyncClient(host=fake_ollama.url)
    with pytest.raises(ollama.ResponseError) as thinking:
        await client.chat("llama3.2:3b", messages=[{"role": "user", "content": "hi"}], think=True)
    assert (thinking.value.status_code, thinking.value.error) == (400, '"llama3.2:3b" does not support thinking')
    with pytest.raises(ollama.ResponseError) as tools:
        await client.chat("notools:1b", messages=[{"role": "user", "content": "hi"}], tools=[TODO])
    assert (tools.value.status_code, tools.value.error) == (
        400,
        "registry.ollama.ai/library/notools:1b does not support tools",
    )


def test_think_false_or_left_out_is_fine_for_a_model_that_cannot_think_and_it_never_thinks(fake_ollama):
    # server/routes.go ChatHandler L2622: only `req.Think.Bool()` is refused (since v0.12.5, d681cd7).
    turn = script({"thinking": "Secret reasoning", "content": "Plain answer"})
    for extra in ({"think": False}, {}):
        answer = chat(fake_ollama, "nothink:3b", turn, **extra)
        assert answer.status_code == 200
        assert joined(parts(answer), "thinking") == "" and joined(parts(answer), "content") == "Plain answer"


def test_an_invalid_think_value_is_refused_while_binding(fake_ollama):
    # api/types.go ThinkValue.UnmarshalJSON L1215: the bind error is the 400's message.
    refused = chat(fake_ollama, "qwen3:8b", "hi", think="extreme")
    assert refused.status_code == 400
    assert (
        refused.json()["error"]
        == 'invalid think value: "extreme" (must be "high", "medium", "low", "max", true, or false)'
    )


def test_tools_to_a_model_without_tools_and_chat_to_an_embedding_model_are_refused(fake_ollama):
    # server/routes.go scheduleRunner L212 `fmt.Errorf("%s %w", model.Name, err)` -> handleScheduleError 400;
    # a model without "completion" is routes.go ChatHandler L2636 `"%q does not support chat"`.
    tools = chat(fake_ollama, "notools:1b", "hi", tools=[TODO])
    assert tools.status_code == 400
    assert tools.json() == {"error": "registry.ollama.ai/library/notools:1b does not support tools"}
    assert chat(fake_ollama, "notools:1b", "hi").status_code == 200  # the same model without tools answers
    embed = chat(fake_ollama, "nomic-embed-text:latest", "hi")
    assert embed.status_code == 400 and embed.json() == {"error": '"nomic-embed-text:latest" does not support chat'}


def test_an_unknown_model_is_404_with_the_name_in_single_quotes(fake_ollama):
    # server/routes.go ChatHandler: getModel os.IsNotExist -> fmt.Sprintf("model '%s' not found", req.Model).
    missing = chat(fake_ollama, "ghost:1b", "hi")
    assert missing.status_code == 404 and missing.json() == {"error": "model 'ghost:1b' not found"}


# --- Thinking by default ------------------------------------------------------------------------------------


def test_think_left_out_on_a_thinking_model_thinks(fake_ollama):
    # server/routes.go ChatHandler L2619: `if req.Think == nil { req.Think = &api.ThinkValue{Value: true} }`
    # for every model with the thinking capability (since v0.12.4, 90d429f).
    scripted = parts(chat(fake_ollama, "qwen3:8b", script({"thinking": "Plan it", "content": "Done it"})))
    assert joined(scripted, "thinking") == "Plan it" and joined(scripted, "content") == "Done it"
    unscripted = parts(chat(fake_ollama, "gemma4:26b-a4b-it-q4_K_M", script({"content": "Just text"})))
    assert joined(unscripted, "thinking") == DEFAULT_REASONING and joined(unscripted, "content") == "Just text"
    explicit = parts(chat(fake_ollama, "qwen3:8b", script({"content": "Asked"}), think=True))
    assert joined(explicit, "thinking") == "" and joined(explicit, "content") == "Asked"  # only what the turn has


def test_think_false_sends_no_thinking_even_when_the_turn_has_some(fake_ollama):
    # server/routes.go ChatHandler: think false reaches the parser (builtinParser.Init), which then emits content only.
    turn = script({"thinking": "Hidden", "content": "Visible"})
    streamed = parts(chat(fake_ollama, "qwen3:8b", turn, think=False))
    assert all("thinking" not in p["message"] for p in streamed) and joined(streamed, "content") == "Visible"
    whole = chat(fake_ollama, "qwen3:8b", turn, think=False, stream=False).json()
    assert "thinking" not in whole["message"] and whole["message"]["content"] == "Visible"


def test_a_model_that_does_not_think_by_default_thinks_only_when_asked(fake_ollama):
    # An older server (before v0.12.4) left thinking off when `think` was left out: a per-model choice here.
    fake_ollama.add_model("oldthink:8b", 40960, arch="qwen3", thinks_by_default=False)
    turn = script({"thinking": "Reasoned", "content": "Answer"})
    assert joined(parts(chat(fake_ollama, "oldthink:8b", turn)), "thinking") == ""
    assert joined(parts(chat(fake_ollama, "oldthink:8b", turn, think=True)), "thinking") == "Reasoned"


# --- num_predict and the context: done_reason "length" ------------------------------------------------------


@pytest.mark.asyncio
async def test_num_predict_cuts_the_answer_and_says_length(fake_ollama):
    # llm/llama_server.go Completion L1715: llama-server's stop type "limit" -> DoneReasonLength, which
    # llm/server.go DoneReason.String writes "length"; otherwise "stop".
    turn = script({"thinking": "a b", "content": "c d e f"})
    cut = parts(chat(fake_ollama, "qwen3:8b", turn, options={"num_predict": 3}))
    assert joined(cut, "thinking") == "a b" and joined(cut, "content") == "c "  # thinking tokens count too
    assert (cut[-1]["done_reason"], cut[-1]["eval_count"]) == ("length", 3)
    whole = chat(fake_ollama, "qwen3:8b", turn, options={"num_predict": 3}, stream=False).json()
    assert whole["done_reason"] == "length" and whole["message"]["content"] == "c "
    assert parts(chat(fake_ollama, "qwen3:8b", turn))[-1]["done_reason"] == "stop"
    client = ollama.AsyncClient(host=fake_ollama.url)
    ten = [{"role": "user", "content": script({"tokens": 10})}]
    answer = await client.chat("qwen3:8b", messages=ten, think=False, options={"num_predict": 4})
    assert answer.done_reason == "length" and answer.message.content == "tok0 tok1 tok2 tok3 "
    # Left to think by default, the model spends the whole budget reasoning and says nothing.
    thought = await client.chat("qwen3:8b", messages=ten, options={"num_predict": 4})
    assert thought.done_reason == "length" and thought.message.content == "" and thought.message.thinking


def test_without_context_shift_a_full_context_stops_with_length_and_an_oversized_prompt_is_refused(fake_ollama):
    # llm/llama_server.go: without --context-shift llama-server stops a full slot with stop type "limit"
    # (-> "length"), and completionPromptForRequest L295-298 refuses a prompt that cannot fit.
    # server/sched.go supportsContextShift: deepseek2 cannot shift; resolveContextShift L129: `shift` decides.
    prompt = "x" * 200  # 50 tokens at 4 characters each, plus the marker below
    turn = script({"tokens": 100})
    for model, extra in (("noshift:16b", {}), ("qwen3:8b", {"shift": False, "think": False})):
        body = {"options": {"num_ctx": 128}, **extra}
        lines = parts(chat(fake_ollama, model, prompt + turn, **body))
        prompt_tokens = lines[-1]["prompt_eval_count"]
        assert lines[-1]["done_reason"] == "length" and lines[-1]["eval_count"] == 128 - 1 - prompt_tokens
        refused = chat(fake_ollama, model, "y" * 1000 + turn, **body)
        assert refused.status_code == 400 and refused.json() == {"error": PROMPT_TOO_LONG}
    shifting = parts(chat(fake_ollama, "qwen3:8b", prompt + turn, think=False, options={"num_ctx": 128}))
    assert shifting[-1]["done_reason"] == "stop" and shifting[-1]["eval_count"] == 100  # it shifts and goes on


def test_the_oldest_messages_are_dropped_to_fit_the_context_keeping_system_ones(fake_ollama):
    # server/prompt.go chatPrompt: remove messages from the front until the prompt fits num_ctx, keeping the
    # system messages of the dropped part and always the last message.
    messages = [
        {"role": "system", "content": "s" * 40},
        {"role": "user", "content": "a" * 400},
        {"role": "assistant", "content": "b" * 400},
        {"role": "user", "content": "c" * 400 + script({"content": "ok"})},
    ]
    body = {"model": "qwen3:8b", "messages": messages, "stream": False, "options": {"num_ctx": 150}}
    answer = httpx.post(f"{fake_ollama.url}/api/chat", json=body, timeout=10).json()
    assert answer["prompt_eval_count"] == (40 + len(messages[-1]["content"])) // 4
    body["truncate"] = False
    assert httpx.post(f"{fake_ollama.url}/api/chat", json=body, timeout=10).status_code == 200  # shifts instead


# --- Tool calls ---------------------------------------------------------------------------------------------


def test_tool_calls_stream_one_part_each_with_an_id_and_index_after_thinking_and_content(fake_ollama):
    # server/routes.go ChatHandler L2820/L2867: each parsed call gets `toolCalls[i].ID = toolCallId()` (L2305,
    # "call_" + 8 of [a-z0-9], since v0.12.10, 809b9c6) and is sent as the parser closes it, with the
    # parser's running `function.index` (tools/tools.go Parser.parseToolCall, model/parsers/qwen3.go).
    turn = {
        "thinking": "Two things to do",
        "content": "On it.",
        "tool_calls": [
            {"name": "todo", "arguments": {"action": "add"}},
            {"name": "todo", "arguments": {"action": "list"}},
        ],
    }
    lines = parts(chat(fake_ollama, "qwen3:8b", script(turn), tools=[TODO]))
    with_calls = [p for p in lines if p["message"].get("tool_calls")]
    assert [len(p["message"]["tool_calls"]) for p in with_calls] == [1, 1] and not with_calls[-1]["done"]
    calls = calls_of(lines)
    assert [c["function"]["index"] for c in calls] == [0, 1]
    assert [c["function"]["arguments"] for c in calls] == [{"action": "add"}, {"action": "list"}]
    assert all(CALL_ID.fullmatch(c["id"]) for c in calls) and calls[0]["id"] != calls[1]["id"]
    assert lines.index(with_calls[0]) > max(i for i, p in enumerate(lines) if p["message"].get("content"))
    assert (
        joined(lines, "thinking") == "Two things to do"
        and lines[-1]["done"]
        and "tool_calls" not in lines[-1]["message"]
    )


def test_a_model_can_send_its_calls_in_the_final_part(fake_ollama):
    # server/routes.go ChatHandler: a parser that only closes a call when the runner is done (r.Done) puts it in
    # the `done: true` response; clients must read tool calls from every part, the last one included.
    lines = parts(
        chat(
            fake_ollama, "final-calls:7b", script({"content": "Sure.", "tool_calls": [{"name": "todo"}]}), tools=[TODO]
        )
    )
    assert [p["done"] for p in lines if p["message"].get("tool_calls")] == [True]
    assert lines[-1]["done_reason"] == "stop" and CALL_ID.fullmatch(lines[-1]["message"]["tool_calls"][0]["id"])


def test_a_whole_answer_has_all_calls_in_its_message_but_only_when_tools_were_sent(fake_ollama):
    # server/routes.go writeChatResponse L2400: `if len(req.Tools) > 0 { toolCalls = append(...) }`.
    turn = script({"tool_calls": [{"name": "todo", "arguments": {"n": 1}}, {"name": "todo", "arguments": {"n": 2}}]})
    whole = chat(fake_ollama, "final-calls:7b", turn, tools=[TODO], stream=False).json()
    assert [c["function"]["index"] for c in whole["message"]["tool_calls"]] == [0, 1]
    assert all(CALL_ID.fullmatch(c["id"]) for c in whole["message"]["tool_calls"])
    assert "tool_calls" not in chat(fake_ollama, "qwen3:8b", turn, stream=False).json()["message"]


@pytest.mark.asyncio
async def test_the_ollama_client_parses_calls_and_its_raw_parts_keep_the_ids(fake_ollama):
    # api/types.go ToolCall L222 `ID string json:"id,omitempty"`, ToolCallFunction L227 `Index int json:"index"`.
    client = ollama.AsyncClient(host=fake_ollama.url)
    turn = script({"content": "Adding.", "tool_calls": [{"name": "todo", "arguments": {"action": "add"}}]})
    messages = [{"role": "user", "content": turn}]
    typed = [p async for p in await client.chat("qwen3:8b", messages=messages, tools=[TODO], think=False, stream=True)]
    calls = [c for p in typed for c in (p.message.tool_calls or [])]
    assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [("todo", {"action": "add"})]
    assert typed[-1].done and typed[-1].done_reason == "stop"
    payload = {"model": "qwen3:8b", "messages": messages, "tools": [TODO], "think": False, "stream": True}
    raw = [p async for p in await client._request(dict, "POST", "/api/chat", json=payload, stream=True)]
    (call,) = [c for p in raw for c in p["message"].get("tool_calls", [])]
    assert CALL_ID.fullmatch(call["id"]) and call["function"]["index"] == 0


def test_a_tool_result_carries_its_tool_call_id_and_the_fake_records_it(fake_ollama):
    # api/types.go Message L205-206: `ToolName string json:"tool_name"`, `ToolCallID string json:"tool_call_id"`.
    marker = script({"tool_calls": [{"name": "todo", "id": "call_fixed001"}]}, {"content": "Listed."})
    history = [
        {"role": "user", "content": marker},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "call_fixed001", "function": {"index": 0, "name": "todo", "arguments": {}}}]},
        {"role": "tool", "content": "[]", "tool_name": "todo", "tool_call_id": "call_fixed001"},
    ]  # fmt: skip
    first = chat(fake_ollama, "qwen3:8b", marker, tools=[TODO], think=False)
    assert calls_of(parts(first))[0]["id"] == "call_fixed001"  # a script may fix the id
    body = {"model": "qwen3:8b", "messages": history, "tools": [TODO], "stream": False}
    assert httpx.post(f"{fake_ollama.url}/api/chat", json=body, timeout=10).json()["message"]["content"] == "Listed."
    tool_message = fake_ollama.requests()[-1]["messages"][-1]
    assert (tool_message["tool_call_id"], tool_message["tool_name"]) == ("call_fixed001", "todo")


# --- Loads, unloads, keep_alive and queueing ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_different_num_ctx_reloads_the_model_and_ps_shows_the_loaded_one(fake_ollama):
    # server/sched.go needsReload L1425: `!reflect.DeepEqual(optsExisting, optsNew)` (num_ctx is a runner
    # option) -> reload; getRunner/effectiveContext L161-171: at least 4, at most the trained length.
    for num_ctx in (8192, 8192, 16384, None):
        extra = {"options": {"num_ctx": num_ctx}} if num_ctx else {}
        assert chat(fake_ollama, "qwen3:8b", "hi", stream=False, **extra).status_code == 200
    chat(fake_ollama, "tiny:ctx", "hi", stream=False, options={"num_ctx": 100_000})
    assert fake_ollama.loads == [("qwen3:8b", 8192), ("qwen3:8b", 16384), ("qwen3:8b", 4096), ("tiny:ctx", 4096)]
    assert fake_ollama.loaded() == {"qwen3:8b": 4096, "tiny:ctx": 4096}
    # server/routes.go PsHandler: the loaded models with their context length.
    ps = await ollama.AsyncClient(host=fake_ollama.url).ps()
    assert {(m.model, m.context_length) for m in ps.models} == {("qwen3:8b", 4096), ("tiny:ctx", 4096)}


def test_a_load_takes_load_seconds_before_the_first_byte_and_counts_in_load_duration(fake_ollama):
    # server/routes.go ChatHandler: scheduleRunner (the load) comes before any byte; load_duration is
    # checkpointLoaded - checkpointStart.
    fake_ollama.set_model("qwen3:8b", load_seconds=0.4)
    started = time.monotonic()
    first = chat(fake_ollama, "qwen3:8b", "hi", stream=False).json()
    assert time.monotonic() - started >= 0.4 and first["load_duration"] >= 400_000_000
    started = time.monotonic()
    second = chat(fake_ollama, "qwen3:8b", "hi", stream=False).json()
    assert time.monotonic() - started < 0.3 and second["load_duration"] < 300_000_000  # already loaded
    assert fake_ollama.loads == [("qwen3:8b", 4096)]


def test_empty_messages_load_and_keep_alive_0_unloads(fake_ollama):
    # server/routes.go ChatHandler L2644-2653 (empty messages: DoneReason "load") and L2505-2516 (empty messages
    # with keep_alive 0: DoneReason "unload", before any capability check); docs/api.md "Load/Unload a model".
    body = {"model": "llama3.2:3b", "messages": []}
    loaded = httpx.post(f"{fake_ollama.url}/api/chat", json=body, timeout=5)
    assert loaded.json() | {"created_at": ""} == {"model": "llama3.2:3b", "created_at": "", "done": True,
        "done_reason": "load", "message": {"role": "assistant", "content": ""}}  # fmt: skip
    assert fake_ollama.loaded() == {"llama3.2:3b": 4096} and fake_ollama.loads == [("llama3.2:3b", 4096)]
    unloaded = httpx.post(f"{fake_ollama.url}/api/chat", json={**body, "keep_alive": 0, "think": True}, timeout=5)
    assert unloaded.json()["done_reason"] == "unload" and fake_ollama.loaded() == {}


@pytest.mark.asyncio
async def test_the_ollama_client_loads_and_unloads(fake_ollama):
    client = ollama.AsyncClient(host=fake_ollama.url)
    assert (await client.chat("qwen3:8b", messages=[])).done_reason == "load"
    assert (await client.chat("qwen3:8b", messages=[], keep_alive=0)).done_reason == "unload"
    assert fake_ollama.loaded() == {} and fake_ollama.requests()[-1]["keep_alive"] == 0


def test_keep_alive_is_recorded_and_0_unloads_after_the_answer(fake_ollama):
    # api/types.go Duration.UnmarshalJSON L1243: seconds or a Go duration; server/sched.go: a runner whose
    # sessionDuration is 0 is expired when its request finishes, so the next request loads it again.
    chat(fake_ollama, "qwen3:8b", "hi", stream=False, keep_alive="10m")
    assert fake_ollama.requests()[-1]["keep_alive"] == "10m" and fake_ollama.loaded() == {"qwen3:8b": 4096}
    chat(fake_ollama, "qwen3:8b", "hi", stream=False, keep_alive=0)
    assert fake_ollama.loaded() == {}
    chat(fake_ollama, "qwen3:8b", "hi", stream=False, keep_alive="0.2s")
    assert fake_ollama.loaded() == {"qwen3:8b": 4096}
    time.sleep(0.3)
    assert fake_ollama.loaded() == {} and len(fake_ollama.loads) == 2
    # time.ParseDuration's error, as the bind error of the 400.
    refused = chat(fake_ollama, "qwen3:8b", "hi", keep_alive="5")
    assert refused.status_code == 400 and refused.json() == {"error": 'time: missing unit in duration "5"'}


@pytest.mark.asyncio
async def test_parallel_1_queues_requests_one_at_a_time_before_their_first_byte():
    # llm/llama_server.go: `sem: semaphore.NewWeighted(int64(numParallel))` (L960), acquired in Completion
    # (L1536) before anything is generated; envconfig NumParallel defaults to 1 since v0.10.0 (20c3266).
    slow = script({"content": "one two three four five", "delay": 0.06})
    fake = FakeOllama(parallel=1).start()
    try:
        body = {"model": "qwen3:8b", "think": False, "messages": [{"role": "user", "content": slow}]}
        async with httpx.AsyncClient(timeout=10) as client:
            queued = await asyncio.gather(timed_stream(client, fake.url, body), timed_stream(client, fake.url, body))
            # Whichever reached the fake first, the other's first part comes only after its last one.
            (_, first_end, _), (second_start, _, lines) = sorted(queued, key=lambda timing: timing[0])
            assert second_start >= first_end - 0.01 and joined(lines, "content") == "one two three four five"
            fake.set_parallel(None)  # no limit: both stream at once
            (a_start, a_end, _), (b_start, _, _) = await asyncio.gather(
                timed_stream(client, fake.url, body), timed_stream(client, fake.url, body)
            )
            assert b_start < a_end - 0.1 and abs(a_start - b_start) < 0.1
    finally:
        fake.stop()


@pytest.mark.asyncio
async def test_a_reload_waits_for_the_requests_running_on_the_old_copy(fake_ollama):
    # server/sched.go processPending: a runner that needs reloading is unloaded once its requests finish.
    slow = script({"content": "a b c d e", "delay": 0.06})
    old = {
        "model": "qwen3:8b",
        "think": False,
        "options": {"num_ctx": 2048},
        "messages": [{"role": "user", "content": slow}],
    }
    new = {**old, "options": {"num_ctx": 8192}}
    async with httpx.AsyncClient(timeout=10) as client:
        running = asyncio.create_task(timed_stream(client, fake_ollama.url, old))
        await asyncio.sleep(0.1)
        (_, old_end, _), (new_start, _, _) = await asyncio.gather(running, timed_stream(client, fake_ollama.url, new))
    assert new_start >= old_end - 0.01
    assert fake_ollama.loads == [("qwen3:8b", 2048), ("qwen3:8b", 8192)]


def test_max_loaded_unloads_the_least_recently_used_model(fake_ollama):
    # server/sched.go: loading a model that does not fit with the others evicts the least recently used idle one
    # (OLLAMA_MAX_LOADED_MODELS).
    fake_ollama.set_max_loaded(1)
    for model in ("qwen3:8b", "tiny:ctx", "qwen3:8b"):
        chat(fake_ollama, model, "hi", stream=False)
    assert [m for m, _ in fake_ollama.loads] == ["qwen3:8b", "tiny:ctx", "qwen3:8b"]
    assert fake_ollama.loaded() == {"qwen3:8b": 4096}


def test_a_hanging_request_holds_its_slot_only_until_its_client_leaves(fake_ollama):
    # llm/llama_server.go Completion: the semaphore is released when the request's context ends (client gone).
    fake_ollama.set_parallel(1)
    hang = {"model": "tiny:ctx", "messages": [{"role": "user", "content": script({"hang": True})}]}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{fake_ollama.url}/api/chat", json=hang, timeout=httpx.Timeout(0.3, connect=2))
    started = time.monotonic()
    assert chat(fake_ollama, "tiny:ctx", "after", stream=False).json()["message"]["content"] == "Echo: after"
    assert time.monotonic() - started < 2


def test_an_error_before_any_part_is_an_http_status_not_a_stream(fake_ollama):
    # server/routes.go streamResponse L2116: `if !c.Writer.Written()` the error goes out as c.JSON(status, ...).
    failed = chat(fake_ollama, "tiny:ctx", script({"content": "never", "error": "llama runner process has terminated"}))
    assert failed.status_code == 500 and failed.json() == {"error": "llama runner process has terminated"}


def test_control_endpoints_and_reset_restore_models_parallel_and_loads(fake_ollama):
    made = httpx.post(f"{fake_ollama.url}/fake/models", timeout=5, json={
        "name": "slow:1b", "context_length": 2048, "capabilities": ["completion"], "load_seconds": 0.01,
        "tool_calls_in_final_chunk": True})  # fmt: skip
    assert made.json() == {"ok": True} and fake_ollama.models["slow:1b"].capabilities == ("completion",)
    httpx.post(f"{fake_ollama.url}/fake/parallel", json={"parallel": 1}, timeout=5)
    chat(fake_ollama, "slow:1b", "hi", stream=False)
    state = httpx.get(f"{fake_ollama.url}/fake/loads", timeout=5).json()
    assert state == {"loads": [["slow:1b", 2048]], "loaded": {"slow:1b": 2048}, "parallel": 1}
    httpx.post(f"{fake_ollama.url}/fake/reset", json={}, timeout=5)
    assert "slow:1b" not in fake_ollama.models and fake_ollama.parallel is None
    assert fake_ollama.loads == [] and fake_ollama.loaded() == {} and fake_ollama.requests() == []
