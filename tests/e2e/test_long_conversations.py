"""Long conversations over a real WebSocket: compression past the threshold, planning, and their logs."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.conf import settings

from tests.e2e.client import connect, new_session, rest, types

pytestmark = pytest.mark.asyncio

SUMMARIZE = "You compress a conversation"
SUMMARY = "SUMMARY: the user sent numbered filler turns and one to-do listing."
FILLER = "lorem ipsum dolor sit amet " * 90  # ~2,400 characters: ~600 tokens by the fake's count


def compact(message: dict) -> tuple:
    return (message["role"], message.get("content"), message.get("tool_call_id"), bool(message.get("tool_calls")))


async def chat_until_compressed(live, sid: str, max_turns: int = 12) -> tuple[int, list[dict], list[dict]]:
    """Send filler turns (the third one lists the to-dos) until one is followed by context_compressed.

    Returns the turn number that triggered it, its events, and the display history just before it.
    """
    socket = await connect(live.ws_url(live.url, sid))
    assert (await socket.next())["type"] == "session_sync"
    try:
        for turn in range(max_turns):
            with rest(live.url) as api:
                before = api.get(f"/sessions/{sid}").json()["messages"]
            marker = " TOOLTURN" if turn == 2 else ""
            await socket.message(f"turn {turn}{marker}: {FILLER}")
            events = await socket.until("stream_end")
            assert events[-1]["content"] in ("Listed.", f"Echo: turn {turn}: {FILLER}"[:206])
            if events[-1]["context_tokens"] >= 0.8 * events[-1]["max_context_tokens"]:
                events.append(await socket.next(timeout=15))
                return turn, events, before
        raise AssertionError("the context never reached the threshold")
    finally:
        await socket.close()


async def test_a_long_conversation_is_compressed_and_the_display_history_is_untouched(live, fake_ollama_server):
    live_fake = fake_ollama_server  # the servers talk to it; `live` has reset it
    live_fake.add_rule(SUMMARIZE, [{"content": SUMMARY}], where="system")
    live_fake.add_rule("TOOLTURN", [{"tool_calls": [{"name": "todo", "arguments": {"action": "list"}}]},
                                    {"content": "Listed."}])  # fmt: skip
    sid = new_session(live.url, "tiny")
    turn, events, before = await chat_until_compressed(live, sid)
    assert turn >= 3
    assert types(events)[-2:] == ["stream_end", "context_compressed"]
    compressed = events[-1]
    assert compressed["summary"] == SUMMARY
    assert compressed["messages_before"] == len(before) + 2  # everything so far, plus this turn's question and answer
    assert 1 < compressed["messages_after"] < compressed["messages_before"]

    with rest(live.url) as api:
        detail = api.get(f"/sessions/{sid}").json()
        context = api.get(f"/sessions/{sid}/context").json()
    shown = detail["messages"]
    # The display history: every message as it was, this turn's two, then the marker; no summary.
    assert [compact(m) for m in shown[: len(before)]] == [compact(m) for m in before]
    assert [m["role"] for m in shown[len(before) :]] == ["user", "assistant", "system"]
    assert shown[-1]["is_compression"] is True and "summarized" in shown[-1]["content"]
    assert not any(m.get("is_summary") for m in shown)
    assert [m["role"] for m in shown].count("tool") == 1
    with rest(live.url) as api:
        row = next(s for s in api.get("/sessions").json() if s["session_id"] == sid)
    assert row["preview"] == shown[-2]["content"][-60:] and row["message_count"] == len(shown)
    # The model's context: system prompt, the summary, then the most recent messages verbatim.
    model_view = context["context"]
    assert model_view[0]["role"] == "system" and "terse test agent" in model_view[0]["content"]
    assert model_view[1]["is_summary"] is True and model_view[1]["content"].endswith(SUMMARY)
    kept = model_view[2:]
    assert len(kept) == compressed["messages_after"] - 1 and context["message_count"] == len(model_view)
    assert [compact(m) for m in kept] == [compact(m) for m in shown[-1 - len(kept) : -1]]
    assert kept[0]["role"] != "tool"
    calls = {c["id"] for m in kept for c in m.get("tool_calls", [])}
    assert all(m["tool_call_id"] in calls for m in kept if m["role"] == "tool")
    # The model was asked once, for the messages that left the context.
    (request,) = [r for r in live_fake.requests() if SUMMARIZE in (r["messages"][0]["content"] or "")]
    assert request["stream"] is False and "turn 0:" in request["messages"][1]["content"]
    assert f"turn {turn}:" not in request["messages"][1]["content"]

    # The next turn reaches the model as system prompt + summary + kept messages + the new question.
    socket = await connect(live.ws_url(live.url, sid))
    assert (await socket.next())["type"] == "session_sync"
    await socket.message("and now?")
    assert (await socket.until("stream_end"))[-1]["content"] == "Echo: and now?"
    await socket.close()
    sent = [r for r in live_fake.requests() if r.get("stream", True)][-1]["messages"]
    assert sent[1]["content"].endswith(SUMMARY)
    assert [m["content"] for m in sent[2:-1]] == [m["content"] or "" for m in kept]
    assert sent[-1]["content"] == "and now?"
    assert not any("turn 0:" in (m["content"] or "") for m in sent)


async def test_a_failed_summary_ends_the_run_cleanly_and_leaves_the_context_whole(live, fake_ollama_server):
    live_fake = fake_ollama_server  # the servers talk to it; `live` has reset it
    live_fake.add_rule(SUMMARIZE, [{"http_status": 500, "error": "out of memory"}], where="system")
    sid = new_session(live.url, "tiny")
    socket = await connect(live.ws_url(live.url, sid))
    assert (await socket.next())["type"] == "session_sync"
    crossed = False
    for turn in range(12):
        await socket.message(f"turn {turn}: {FILLER}")
        end = (await socket.until("stream_end"))[-1]
        if end["context_tokens"] >= 0.8 * end["max_context_tokens"]:
            crossed = True
            break
    assert crossed
    with pytest.raises(asyncio.TimeoutError):
        await socket.next(timeout=1.0)  # no context_compressed
    await socket.close()
    assert any(SUMMARIZE in (r["messages"][0]["content"] or "") for r in live_fake.requests())
    with rest(live.url) as api:
        shown = api.get(f"/sessions/{sid}").json()["messages"]
        context = api.get(f"/sessions/{sid}/context").json()["context"]
        assert not any(m.get("is_compression") for m in shown)
        assert [compact(m) for m in context[1:]] == [compact(m) for m in shown]
        # The session stays usable.
        assert api.post(f"/sessions/{sid}/messages", json={"content": "still there?"}).json()["content"] == (
            "Echo: still there?"
        )


PLAN = "1. List the to-dos with the todo tool\n2. Report what is on the list"


async def test_planning_comes_before_the_tool_loop_and_every_planning_run_is_logged(live, fake_ollama_server):
    live_fake = fake_ollama_server  # the servers talk to it; `live` has reset it
    live_fake.add_rule("planning phase: analysis", [{"content": "NEEDS_PLAN: yes\nThe user wants the list."}],
                       where="system", times=1)  # fmt: skip
    live_fake.add_rule("planning phase: analysis", [{"content": "NEEDS_PLAN: no\nA greeting."}], where="system")
    live_fake.add_rule("planning phase: reflect", [{"content": "- one todo call is enough"}], where="system")
    live_fake.add_rule("planning phase: plan", [{"content": PLAN}], where="system")
    live_fake.add_rule("PLANME", [{"tool_calls": [{"name": "todo", "arguments": {"action": "list"}}]},
                                  {"content": "Your list is empty."}])  # fmt: skip
    sid = new_session(live.url, "planner")
    socket = await connect(live.ws_url(live.url, sid))
    assert (await socket.next())["type"] == "session_sync"
    await socket.message("PLANME: what is on my to-do list, and what should I do first?")
    events = await socket.until("stream_end")
    assert types(events)[:8] == [
        "stream_start", "planning_status", "planning_status", "planning_status", "plan_ready", "tool_started",
        "tool_call", "stream_delta",
    ]  # fmt: skip
    assert [(e["phase"], e["is_subagent"]) for e in events[1:4]] == [
        ("analysis", False), ("reflect", False), ("plan", False),
    ]  # fmt: skip
    assert events[4] == {"type": "plan_ready", "plan": PLAN, "is_subagent": False}
    assert events[-1]["content"] == "Your list is empty." and events[-1]["tool_call_count"] == 1

    await socket.message("hello")
    second = await socket.until("stream_end")
    kinds = [kind for i, kind in enumerate(types(second)) if i == 0 or kind != types(second)[i - 1]]
    assert kinds == ["stream_start", "planning_status", "stream_delta", "stream_end"]  # deltas may come split
    await socket.close()

    with rest(live.url) as api:
        shown = api.get(f"/sessions/{sid}").json()["messages"]
        context = api.get(f"/sessions/{sid}/context").json()["context"]
        logs = api.get(f"/sessions/{sid}/planning").json()
        assert api.get("/sessions/00000000-0000-0000-0000-000000000000/planning").status_code == 404
    assert [(m["role"], bool(m.get("is_plan"))) for m in shown[:5]] == [
        ("user", False), ("assistant", True), ("assistant", False), ("tool", False), ("assistant", False),
    ]  # fmt: skip
    assert shown[1]["content"] == PLAN
    assert not any(m.get("is_plan") for m in context)  # the plan served its run; later runs do not carry it
    # The tool loop's model turns were offered the plan.
    model_turns = [r for r in live_fake.requests() if r.get("stream", True)]
    assert len(model_turns) == 3
    texts = ["\n".join(m["content"] or "" for m in r["messages"]) for r in model_turns]
    assert PLAN in texts[0] and PLAN in texts[1] and PLAN not in texts[2]
    assert logs["session_id"] == sid and len(logs["logs"]) == 2
    first, trivial = logs["logs"]
    assert first["needs_plan"] is True and first["phase"] == "plan" and first["output"] == PLAN
    assert [p["phase"] for p in first["phases"]] == ["analysis", "reflect", "plan"]
    assert first["phases"][0]["output"].startswith("NEEDS_PLAN: yes")
    assert trivial["needs_plan"] is False and [p["phase"] for p in trivial["phases"]] == ["analysis"]


async def test_generate_name_over_http(live, fake_ollama_server):
    live_fake = fake_ollama_server  # the servers talk to it; `live` has reset it
    live_fake.add_rule("You name conversations", [{"content": '"Shopping list"\nbecause they talked about it'}],
                       where="system")  # fmt: skip
    sid = new_session(live.url, "tiny")
    with rest(live.url) as api:
        assert api.post(f"/sessions/{sid}/generate-name").json() == {"name": None}
        api.post(f"/sessions/{sid}/messages", json={"content": "buy milk and eggs"})
        assert api.post(f"/sessions/{sid}/generate-name").json() == {"name": "Shopping list"}
        assert api.get(f"/sessions/{sid}").json()["name"] == "Shopping list"


async def test_token_accounting_comes_from_ollamas_counters(live, fake_ollama_server):
    script = json.dumps({"turns": [
        {"tool_calls": [{"name": "todo", "arguments": {"action": "list"}}], "prompt_eval_count": 100, "eval_count": 7},
        {"content": "Nothing to do.", "prompt_eval_count": 150, "eval_count": 9, "delay": 0.05},
    ]})  # fmt: skip
    sid = new_session(live.url, "tiny")
    socket = await connect(live.ws_url(live.url, sid))
    assert (await socket.next())["type"] == "session_sync"
    await socket.message(f"what is left? [[fake:{script}]]")
    end = (await socket.until("stream_end"))[-1]
    await socket.close()
    # context: the last call's prompt + answer; tokens: every answer of the run; tool calls: every call.
    assert end["context_tokens"] == 159 and end["max_context_tokens"] == 4096
    assert end["token_count"] == 16 and end["tool_call_count"] == 1 and end["elapsed_seconds"] > 0
    with rest(live.url) as api:
        detail = api.get(f"/sessions/{sid}").json()
    assert detail["context_token_count"] == 159 and detail["max_context_tokens"] == 4096
    final = detail["messages"][-1]
    assert (final["elapsed_seconds"], final["tool_call_count"], final["token_count"]) == (
        end["elapsed_seconds"], 1, 16,
    )  # fmt: skip
    # Only the final answer carries the run's figures.
    assert not any("token_count" in m for m in detail["messages"][:-1])


async def test_a_socket_that_joins_while_the_summary_is_written_gets_the_end_then_the_event_then_sync(
    live, fake_ollama_server
):
    fake_ollama_server.add_rule(SUMMARIZE, [{"content": SUMMARY, "delay": 2.0}], where="system")
    fake_ollama_server.add_rule("TRIGGER", [{"content": "Big answer.", "prompt_eval_count": 3600}])
    sid = new_session(live.url, "tiny")
    with rest(live.url) as api:
        for text in ("first", "second", "third"):
            assert api.post(f"/sessions/{sid}/messages", json={"content": text}).status_code == 200
    first = await connect(live.ws_url(live.url, sid))
    assert (await first.next())["type"] == "session_sync"
    await first.message("TRIGGER please")
    await first.until("stream_delta")
    for _ in range(100):  # until the summary request reaches the model
        if any(SUMMARIZE in (r["messages"][0]["content"] or "") for r in fake_ollama_server.requests()):
            break
        await asyncio.sleep(0.05)
    second = await connect(live.ws_url(live.other_url(), sid))
    assert (await second.next()) == {"type": "stream_start", "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES}
    assert (await second.next())["type"] == "replay_start"
    replayed = await second.until("replay_end")
    assert "stream_end" not in types(replayed)  # the run is still writing its summary
    ending = await second.until("session_sync", timeout=20)
    assert types(ending) == ["stream_end", "context_compressed", "session_sync"]
    assert ending[1]["summary"] == SUMMARY and ending[1]["messages_before"] == 8
    assert types(await first.until("context_compressed"))[-2:] == ["stream_end", "context_compressed"]
    await first.close()
    await second.close()
