"""What a real Ollama does, met end to end on a running server: capabilities, cut-off answers, call ids, loads."""

from __future__ import annotations

import pytest

from tests.e2e.client import connect, new_session, rest
from tests.fakes.fake_ollama import script

pytestmark = pytest.mark.asyncio


async def run_message(live, sid: str, content: str) -> list[dict]:
    socket = await connect(live.ws_url(live.url, sid))
    assert (await socket.next())["type"] == "session_sync"
    await socket.message(content)
    events = await socket.until({"stream_end", "error"})
    await socket.close()
    return events


async def test_a_profile_whose_model_lacks_tools_is_warned_before_and_fails_clearly(live, fake_ollama_server):
    with rest(live.url) as api:
        profiles = {p["id"]: p for p in api.get("/agents/profiles").json()}
    warning = profiles["weak_model"]["warning"]
    assert "cannot call tools" in warning and "cannot think" in warning and "notools:1b" in warning
    assert profiles["tiny"]["warning"] is None
    sid = new_session(live.url, "weak_model")
    events = await run_message(live, sid, "hello")
    assert events[-1]["type"] == "error" and "'notools:1b' cannot call tools" in events[-1]["message"]
    assert fake_ollama_server.requests() == []  # nothing a real server would refuse was sent
    with rest(live.url) as api:  # the session stays usable: the user message is kept, nothing else
        assert [m["role"] for m in api.get(f"/sessions/{sid}").json()["messages"]] == ["user"]


async def test_an_answer_cut_off_at_its_token_limit_is_kept_and_marked_in_the_event_and_the_history(
    live, fake_ollama_server
):
    # A model Ollama cannot shift the context of stops when its context is full (llm/llama_server.go).
    fake_ollama_server.set_model("tiny:ctx", context_shift=False)
    sid = new_session(live.url, "tiny")
    words = " ".join(f"w{i}" for i in range(5000))  # more than the tiny model's 4,096-token context holds
    fake_ollama_server.add_rule("go on", [{"content": words}])  # a rule: the prompt itself stays short
    events = await run_message(live, sid, "go on")
    end = events[-1]
    assert end["type"] == "stream_end" and end["truncated"] is True and 0 < len(end["content"]) < len(words)
    with rest(live.url) as api:
        stored = api.get(f"/sessions/{sid}").json()["messages"][-1]
    assert stored["role"] == "assistant" and stored["truncated"] is True and stored["content"] == end["content"]


async def test_the_servers_tool_call_ids_are_stored_and_sent_back_with_the_results(live, fake_ollama_server):
    sid = new_session(live.url, "tiny")
    turn = {"tool_calls": [{"name": "todo", "arguments": {"action": "list"}}]}
    events = await run_message(live, sid, "my list? " + script(turn, {"content": "Empty."}))
    assert events[-1]["type"] == "stream_end"
    with rest(live.url) as api:
        messages = api.get(f"/sessions/{sid}").json()["messages"]
    call = next(m for m in messages if m.get("tool_calls"))["tool_calls"][0]
    result = next(m for m in messages if m["role"] == "tool")
    assert call["id"].startswith("call_") and len(call["id"]) == 13 and result["tool_call_id"] == call["id"]
    second = fake_ollama_server.requests()[-1]["messages"]
    assert second[-1]["role"] == "tool" and second[-1]["tool_call_id"] == call["id"]
    assert second[-2]["tool_calls"][0]["id"] == call["id"]


async def test_a_conversation_and_its_name_load_the_model_once(live, fake_ollama_server):
    sid = new_session(live.url, "secretary")
    await run_message(live, sid, "plan my week")
    await run_message(live, sid, "and the weekend")
    with rest(live.url) as api:
        assert api.post(f"/sessions/{sid}/generate-name").status_code == 200
    chats = fake_ollama_server.requests()
    assert len({r["options"]["num_ctx"] for r in chats}) == 1 and len(chats) == 3
    assert [model for model, _ in fake_ollama_server.loads] == ["gemma4:26b-a4b-it-q4_K_M"]
    assert {r["keep_alive"] for r in chats} == {"30m"} and {r["think"] for r in chats} == {True, False}
