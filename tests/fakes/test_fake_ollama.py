"""The fake speaks Ollama's wire format: what Navi's adapter relies on must hold for the fake itself."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.fakes.fake_ollama import script


def chat(fake, messages, **body) -> httpx.Response:
    return httpx.post(f"{fake.url}/api/chat", json={"model": "qwen3:8b", "messages": messages, **body}, timeout=10)


def lines(response: httpx.Response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def test_a_stream_is_chunked_ndjson_with_thinking_content_tool_calls_and_final_counters(fake_ollama):
    turn = {
        "thinking": "Let me see",
        "content": "Two words",
        "tool_calls": [{"name": "todo", "arguments": {"action": "list"}}],
    }
    prompt = "x" * 40 + script(turn)
    response = chat(fake_ollama, [{"role": "user", "content": prompt}])
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.headers["content-type"] == "application/x-ndjson"
    parts = lines(response)
    assert "".join(p["message"].get("thinking", "") for p in parts) == "Let me see"
    assert "".join(p["message"]["content"] for p in parts) == "Two words"
    calls = [c for p in parts for c in p["message"].get("tool_calls", [])]
    assert re.fullmatch(r"call_[a-z0-9]{8}", calls[0].pop("id"))  # server/routes.go toolCallId
    assert calls == [{"function": {"index": 0, "name": "todo", "arguments": {"action": "list"}}}]
    assert [p["done"] for p in parts].count(True) == 1 and parts[-1]["done"] is True
    assert parts[-1]["done_reason"] == "stop" and parts[-1]["eval_count"] >= 1
    assert parts[-1]["prompt_eval_count"] == len(prompt) // 4


def test_turns_follow_the_assistant_messages_since_the_last_user_message(fake_ollama):
    marker = script({"content": "first"}, {"content": "second"})
    first = chat(fake_ollama, [{"role": "user", "content": marker}], stream=False).json()
    assert first["message"]["content"] == "first" and first["done"] is True
    history = [
        {"role": "user", "content": marker},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "t", "arguments": {}}}]},
        {"role": "tool", "content": "ok", "tool_name": "t"},
    ]
    assert chat(fake_ollama, history, stream=False).json()["message"]["content"] == "second"
    history.append({"role": "assistant", "content": "second"})
    assert chat(fake_ollama, history, stream=False).json()["message"]["content"] == "Done."


def test_rules_named_scripts_and_the_echo_default(fake_ollama):
    fake_ollama.add_rule("Summarize", [{"content": "A summary."}], where="system", times=1)
    fake_ollama.set_script("greeting", [{"content": "Hello from a named script"}])
    summarize = [{"role": "system", "content": "Summarize this."}, {"role": "user", "content": "older turns"}]
    assert chat(fake_ollama, summarize, stream=False).json()["message"]["content"] == "A summary."
    assert chat(fake_ollama, summarize, stream=False).json()["message"]["content"] == "Echo: older turns"  # used up
    named = chat(fake_ollama, [{"role": "user", "content": "[[fake:greeting]]"}], stream=False)
    assert named.json()["message"]["content"] == "Hello from a named script"
    assert len(fake_ollama.requests()) == 3 and fake_ollama.requests()[0]["messages"] == summarize


def test_tokens_stamps_and_pieces_shape_the_stream(fake_ollama):
    parts = lines(chat(fake_ollama, [{"role": "user", "content": script({"tokens": 50})}]))
    text = "".join(p["message"]["content"] for p in parts)
    assert text.split() == [f"tok{i}" for i in range(50)]
    stamped = lines(chat(fake_ollama, [{"role": "user", "content": script({"tokens": 3, "stamp": True})}]))
    stamps = [float(p["message"]["content"].strip("<> ")) for p in stamped if p["message"]["content"]]
    assert len(stamps) == 3 and stamps == sorted(stamps)
    pieces = lines(chat(fake_ollama, [{"role": "user", "content": script({"content": "abcdefgh", "pieces": 2})}]))
    assert [p["message"]["content"] for p in pieces if p["message"]["content"]] == ["abcd", "efgh"]


def test_errors_look_like_ollamas(fake_ollama):
    unknown = httpx.post(f"{fake_ollama.url}/api/chat", json={"model": "nope:1b", "messages": []}, timeout=5)
    assert unknown.status_code == 404 and "not found" in unknown.json()["error"]
    mid = lines(
        chat(
            fake_ollama,
            [{"role": "user", "content": script({"content": "a b c", "error": "GPU fell over", "error_after": 2})}],
            think=False,  # qwen3 would otherwise think first (think left out), and thinking pieces count too
        )
    )
    assert [p.get("message", {}).get("content") for p in mid[:2]] == ["a ", "b "] and mid[-1] == {
        "error": "GPU fell over"
    }
    status = chat(fake_ollama, [{"role": "user", "content": script({"http_status": 500, "error": "out of memory"})}])
    assert status.status_code == 500 and status.json() == {"error": "out of memory"}
    data_url = chat(
        fake_ollama, [{"role": "user", "content": "look", "images": ["data:image/png;base64,iVBORw0KGgo="]}]
    )
    assert data_url.status_code == 400 and "base64" in data_url.json()["error"]


def test_a_hanging_turn_sends_nothing(fake_ollama):
    with pytest.raises(httpx.ReadTimeout):
        chat_timeout = httpx.Timeout(0.5, connect=2)
        httpx.post(f"{fake_ollama.url}/api/chat", timeout=chat_timeout,
                   json={"model": "qwen3:8b", "messages": [{"role": "user", "content": script({"hang": True})}]})  # fmt: skip


def test_show_and_tags_describe_the_known_models(fake_ollama):
    fake_ollama.add_model("custom:7b", 2048, arch="qwen2")
    show = httpx.post(f"{fake_ollama.url}/api/show", json={"model": "custom:7b"}, timeout=5).json()
    assert show["model_info"]["qwen2.context_length"] == 2048 and show["details"]["family"] == "qwen2"
    assert httpx.post(f"{fake_ollama.url}/api/show", json={"model": "missing"}, timeout=5).status_code == 404
    names = [m["name"] for m in httpx.get(f"{fake_ollama.url}/api/tags", timeout=5).json()["models"]]
    assert {"gemma4:26b-a4b-it-q4_K_M", "tiny:ctx", "custom:7b"} <= set(names)
