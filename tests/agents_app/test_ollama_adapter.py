"""Navi's Ollama adapter against the fake Ollama over real HTTP: what reaches the wire and how failures read."""

from __future__ import annotations

import asyncio

import pytest

from agents_app.engine import ChatMessage, LLMError
from agents_app.ollama import OllamaLLM
from tests.fakes.fake_ollama import script

pytestmark = pytest.mark.asyncio

MODEL = "qwen3:8b"


def adapter(url: str, read_timeout: float = 10) -> OllamaLLM:
    return OllamaLLM(host=url, connect_timeout=2, read_timeout=read_timeout)


async def collect(llm, content: str, **kwargs) -> list:
    return [
        c async for c in llm.chat(model=kwargs.pop("model", MODEL), messages=[ChatMessage("user", content)], **kwargs)
    ]


async def test_thinking_content_tool_calls_and_counters_arrive_as_chunks(fake_ollama):
    turn = {"thinking": "Check the list", "content": "On it", "tool_calls": [{"name": "todo", "arguments": {"action": "list"}}],
            "prompt_eval_count": 321, "eval_count": 12}  # fmt: skip
    chunks = await collect(adapter(fake_ollama.url), script(turn), think=True)
    assert "".join(c.thinking for c in chunks) == "Check the list"
    assert "".join(c.content for c in chunks) == "On it"
    calls = [call for c in chunks for call in c.tool_calls]
    assert [(call.name, call.arguments) for call in calls] == [("todo", {"action": "list"})]
    assert calls[0].id.startswith("call_")
    assert chunks[-1].done and (chunks[-1].prompt_eval_count, chunks[-1].eval_count) == (321, 12)
    assert fake_ollama.requests()[-1]["think"] is True


async def test_tool_schemas_and_options_reach_the_wire_untrimmed(fake_ollama):
    schema = {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date-time", "pattern": "^2"},
            "tags": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                "minItems": 1,
            },
            "count": {"type": "integer", "minimum": 1, "maximum": 5, "default": 2},
        },
        "required": ["when"],
        "additionalProperties": False,
    }
    tool = {"type": "function", "function": {"name": "plan", "description": "Plan it", "parameters": schema}}
    await collect(adapter(fake_ollama.url), "hi", tools=[tool], options={"num_ctx": 8192, "temperature": 0.2})
    sent = fake_ollama.requests()[-1]
    assert sent["tools"] == [tool]
    # num_ctx is the adapter's own (one per model: the default here, below the model's 40,960).
    assert sent["options"] == {"num_ctx": 32768, "temperature": 0.2}


async def test_the_context_length_comes_from_show_and_is_asked_once(fake_ollama):
    llm = adapter(fake_ollama.url)
    assert await llm.context_length("tiny:ctx") == 4096
    assert await llm.context_length("tiny:ctx") == 4096
    assert len(fake_ollama.requests("/api/show")) == 1


async def test_an_unknown_model_is_named_with_what_to_do(fake_ollama):
    with pytest.raises(LLMError, match=r"'ghost:1b' is not available .* `ollama pull ghost:1b`"):
        await collect(adapter(fake_ollama.url), "hi", model="ghost:1b")
    with pytest.raises(LLMError, match="ghost:1b"):
        await adapter(fake_ollama.url).context_length("ghost:1b")


async def test_an_error_line_mid_stream_raises_after_the_text_so_far(fake_ollama):
    llm = adapter(fake_ollama.url)
    seen = []
    with pytest.raises(LLMError, match="out of memory"):
        async for chunk in llm.chat(
            model=MODEL,
            messages=[
                ChatMessage("user", script({"content": "one two three", "error": "out of memory", "error_after": 2}))
            ],
        ):
            seen.append(chunk.content)
    assert "".join(seen) == "one two "


async def test_a_server_that_never_starts_answering_times_out_on_the_first_byte_limit(fake_ollama):
    started = asyncio.get_running_loop().time()
    with pytest.raises(LLMError, match="NAVI_OLLAMA_FIRST_BYTE_TIMEOUT"):
        await collect(adapter(fake_ollama.url, read_timeout=0.5), script({"hang": True}))
    assert asyncio.get_running_loop().time() - started < 5


async def test_silence_mid_answer_times_out_on_the_read_limit_not_the_first_byte_one(fake_ollama):
    llm = OllamaLLM(host=fake_ollama.url, connect_timeout=2, read_timeout=0.3, first_byte_timeout=5)
    turn = {"content": "one two three", "delay": 1.0}
    started = asyncio.get_running_loop().time()
    with pytest.raises(LLMError, match="NAVI_OLLAMA_READ_TIMEOUT"):
        await collect(llm, script(turn))
    assert asyncio.get_running_loop().time() - started < 3


async def test_a_slow_first_byte_within_its_limit_is_waited_for(fake_ollama):
    llm = OllamaLLM(host=fake_ollama.url, connect_timeout=2, read_timeout=0.3, first_byte_timeout=5)
    chunks = await collect(llm, script({"content": "late but fine", "first_delay": 1.0}))
    assert "".join(c.content for c in chunks) == "late but fine"


async def test_an_unreachable_server_is_named():
    with pytest.raises(LLMError, match=r"unreachable at http://127.0.0.1:9"):
        await collect(adapter("http://127.0.0.1:9"), "hi")


async def test_complete_returns_one_whole_answer(fake_ollama):
    fake_ollama.add_rule("Name this", [{"content": "Groceries for the week"}], where="any")
    answer = await adapter(fake_ollama.url).complete(
        model=MODEL, messages=[ChatMessage("system", "Name this conversation.")]
    )
    assert answer.text == "Groceries for the week" and answer.truncated is False
    assert fake_ollama.requests()[-1]["think"] is False and fake_ollama.requests()[-1]["stream"] is False


async def test_think_and_keep_alive_are_sent_explicitly_on_every_call(fake_ollama):
    llm = OllamaLLM(host=fake_ollama.url, connect_timeout=2, read_timeout=5, keep_alive="45m")
    await collect(llm, "hi", think=False)
    await collect(llm, "hi", think=True)
    await llm.complete(model=MODEL, messages=[ChatMessage("user", "sum up")])
    chat_off, chat_on, side = fake_ollama.requests()
    # Left out, a thinking model thinks (Ollama >= 0.12.4): so false is said out loud.
    assert chat_off["think"] is False and chat_on["think"] is True and side["think"] is False
    assert {r["keep_alive"] for r in (chat_off, chat_on, side)} == {"45m"}


async def test_every_call_for_a_model_asks_for_the_same_context_size(fake_ollama):
    sizes = {"qwen3:8b": 12288}
    llm = OllamaLLM(
        host=fake_ollama.url, connect_timeout=2, read_timeout=5, context_for_model=lambda model, trained: sizes[model]
    )
    await collect(llm, "hi")
    await llm.complete(model=MODEL, messages=[ChatMessage("user", "name it")], options={"num_predict": 20})
    chat, side = fake_ollama.requests()
    assert chat["options"]["num_ctx"] == side["options"]["num_ctx"] == 12288
    assert side["options"]["num_predict"] == 20


async def test_tool_call_ids_go_back_with_the_results_they_answer(fake_ollama):
    from agents_app.engine import ToolCall

    call = ToolCall(id="call_abc123", name="todo", arguments={"action": "list"})
    history = [
        ChatMessage("user", "what is on my list?"),
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", "1. milk", tool_call_id="call_abc123", name="todo"),
    ]
    [c async for c in adapter(fake_ollama.url).chat(model=MODEL, messages=history)]
    sent = fake_ollama.requests()[-1]["messages"]
    assert sent[1]["tool_calls"] == [
        {"id": "call_abc123", "function": {"index": 0, "name": "todo", "arguments": {"action": "list"}}}
    ]
    assert sent[2] == {"role": "tool", "content": "1. milk", "tool_name": "todo", "tool_call_id": "call_abc123"}


async def test_150_streams_at_once_all_start_none_waits_for_a_connection_of_another(fake_ollama):
    """httpx pools serve 100 connections each: with one client for all calls, the 101st stream would wait for
    one of the first 100 to end (here 2 s). Each call has a client of its own."""
    llm = adapter(fake_ollama.url)
    started = asyncio.get_running_loop().time()
    firsts: list[float] = []

    async def stream() -> str:
        text = ""
        async for chunk in llm.chat(model=MODEL, messages=[ChatMessage("user", script({"tokens": 2, "delay": 2}))]):
            if chunk.content and not text:
                firsts.append(asyncio.get_running_loop().time() - started)
            text += chunk.content
        return text

    answers = await asyncio.gather(*(stream() for _ in range(150)))
    assert answers == ["tok0 tok1 "] * 150
    assert len(firsts) == 150 and max(firsts) < 1.5, sorted(firsts)[-5:]


async def test_a_call_after_another_reuses_its_kept_connection(fake_ollama):
    llm = adapter(fake_ollama.url)
    await collect(llm, "one")
    (client,) = llm._idle
    (connection,) = client._client._transport._pool.connections  # httpx's pool, under the ollama client
    await collect(llm, "two")
    assert llm._idle == [client]  # leased again and given back
    assert client._client._transport._pool.connections == [connection]  # the same connection, kept alive


async def test_the_trusted_certificates_named_by_the_environment_are_honoured(fake_ollama, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    with pytest.raises(FileNotFoundError):
        adapter(fake_ollama.url)._new_client()
