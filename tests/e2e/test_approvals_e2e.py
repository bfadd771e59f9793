"""Tool approval through the real servers: allow, deny, no answer, stop while waiting, an answer from the other
front end after a reconnect, a sub-agent that asks, answers over REST, and call ids that wait for nothing."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.client import connect, new_session, rest, types
from tests.e2e.conftest import APPROVAL_TIMEOUT_SECONDS
from tests.fakes.fake_ollama import script

pytestmark = pytest.mark.asyncio


def call(name: str, **arguments) -> dict:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def add_todo(text: str) -> str:
    return script(call("todo", action="add", text=text), {"content": "Handled."})


async def open_session(live, base: str | None = None, profile: str = "mcp_agent"):
    sid = new_session(live.url, profile)
    ws = await connect(live.ws_url(base or live.url, sid))
    assert (await ws.next())["type"] == "session_sync"
    return sid, ws


async def until_asked(ws) -> dict:
    try:
        events = await ws.until("tool_approval_required", timeout=30)
    except TimeoutError:
        raise AssertionError(f"no approval request; received {ws.received}") from None
    assert types(events)[-2:] == ["tool_started", "tool_approval_required"]
    return events[-1]


async def test_an_allowed_call_runs_after_the_answer(mcp_live):
    sid, ws = await open_session(mcp_live)
    await ws.message("Note it " + add_todo("buy stamps"))
    asked = await until_asked(ws)
    assert asked == {
        "type": "tool_approval_required", "call_id": asked["call_id"], "tool": "todo",
        "args": {"action": "add", "text": "buy stamps"}, "is_subagent": False,
    }  # fmt: skip
    await ws.send({"type": "tool_approval", "call_id": asked["call_id"], "approved": True})
    events = await ws.until("stream_end", timeout=30)
    done = next(e for e in events if e["type"] == "tool_call")
    assert done["success"] is True and "buy stamps" in done["result"]
    await ws.close()


async def test_a_denied_call_fails_with_denied_by_the_user_and_the_run_goes_on(mcp_live, fake_ollama_server):
    sid, ws = await open_session(mcp_live)
    await ws.message("Look it up " + script(call("notes__lookup", key="milk"), {"content": "I was not allowed."}))
    asked = await until_asked(ws)
    assert asked["tool"] == "notes__lookup"  # an MCP tool asks too
    await ws.send({"type": "tool_approval", "call_id": asked["call_id"], "approved": False})
    events = await ws.until("stream_end", timeout=30)
    denied = next(e for e in events if e["type"] == "tool_call")
    assert denied["success"] is False and "denied by the user" in denied["result"]
    assert events[-1]["content"] == "I was not allowed."
    assert fake_ollama_server.requests()[-1]["messages"][-1]["content"] == denied["result"]
    # A second answer for the same call finds nothing waiting.
    await ws.send({"type": "tool_approval", "call_id": asked["call_id"], "approved": True})
    error = await ws.until("error")
    assert "is waiting for approval" in error[-1]["message"]
    await ws.close()


async def test_no_answer_within_the_timeout_is_a_denial(mcp_live):
    sid, ws = await open_session(mcp_live)
    await ws.message("Note it " + add_todo("wait for me"))
    asked = await until_asked(ws)
    loop = asyncio.get_running_loop()
    started = loop.time()
    events = await ws.until("stream_end", timeout=APPROVAL_TIMEOUT_SECONDS + 30)
    waited = loop.time() - started
    timed_out = next(e for e in events if e["type"] == "tool_call")
    assert timed_out["success"] is False
    assert f"not approved within {APPROVAL_TIMEOUT_SECONDS} s" in timed_out["result"]
    assert APPROVAL_TIMEOUT_SECONDS - 1 < waited < APPROVAL_TIMEOUT_SECONDS + 20
    with rest(mcp_live.url) as api:
        late = api.post(f"/sessions/{sid}/approvals/{asked['call_id']}", json={"approved": True})
        assert late.status_code == 404
    await ws.close()


async def test_stop_while_waiting_stops_the_run(mcp_live):
    sid, ws = await open_session(mcp_live)
    await ws.message("Note it " + add_todo("never"))
    asked = await until_asked(ws)
    with rest(mcp_live.url) as api:
        assert api.post(f"/sessions/{sid}/stop").json() == {"ok": True}
        events = await ws.until("stream_stopped", timeout=20)
        stopped = next(e for e in events if e["type"] == "tool_call")
        assert stopped["success"] is False and "stopped by the user" in stopped["result"]
        after = api.post(f"/sessions/{sid}/approvals/{asked['call_id']}", json={"approved": True})
        assert after.status_code == 404
    await ws.close()


async def test_a_client_reconnecting_to_the_other_front_end_sees_the_request_and_answers_there(mcp_live):
    sid, first = await open_session(mcp_live)
    await first.message("Note it " + add_todo("from elsewhere"))
    asked = await until_asked(first)
    await first.close()
    other = await connect(mcp_live.ws_url(mcp_live.other_url(), sid))
    replay = await other.until("replay_end")
    assert replay[0]["type"] == "stream_start" and replay[1]["type"] == "replay_start"
    assert asked in replay  # the pending request is part of the run's log
    await other.send({"type": "tool_approval", "call_id": asked["call_id"], "approved": True})
    events = await other.until("stream_end", timeout=30)
    done = next(e for e in events if e["type"] == "tool_call")
    assert done["success"] is True and "from elsewhere" in done["result"]
    await other.close()


async def test_an_answer_over_rest_reaches_the_run_and_bad_call_ids_get_404(mcp_live):
    sid, ws = await open_session(mcp_live)
    await ws.message("Note it " + add_todo("by rest"))
    asked = await until_asked(ws)
    with rest(mcp_live.other_url()) as api:
        assert api.post(f"/sessions/{sid}/approvals/nope", json={"approved": True}).status_code == 404
        bad = api.post(f"/sessions/{sid}/approvals/{asked['call_id']}", json={"approved": "yes"})
        assert bad.status_code == 400 and bad.json()["error"] == "approved must be true or false"
        ok = api.post(f"/sessions/{sid}/approvals/{asked['call_id']}", json={"approved": False})
        assert ok.status_code == 200 and ok.json() == {"ok": True}
    events = await ws.until("stream_end", timeout=30)
    assert "denied by the user" in next(e for e in events if e["type"] == "tool_call")["result"]
    await ws.close()


async def test_a_bad_call_id_over_the_websocket_gets_an_error_event_and_the_call_still_waits(mcp_live):
    sid, ws = await open_session(mcp_live)
    await ws.message("Note it " + add_todo("still waiting"))
    asked = await until_asked(ws)
    for bad, problem in [
        ({"call_id": "not-a-call", "approved": True}, "No tool call 'not-a-call' is waiting"),
        ({"call_id": 7, "approved": True}, "call_id must be"),
        ({"call_id": asked["call_id"], "approved": "yes"}, "approved must be true or false"),
    ]:
        await ws.send({"type": "tool_approval", **bad})
        error = (await ws.until("error"))[-1]
        assert problem in error["message"]
    await ws.send({"type": "tool_approval", "call_id": asked["call_id"], "approved": True})
    events = await ws.until("stream_end", timeout=30)
    assert next(e for e in events if e["type"] == "tool_call")["success"] is True
    await ws.close()


async def test_a_sub_agent_asks_too_marked_as_a_sub_agent(mcp_live, fake_ollama_server):
    fake_ollama_server.set_script("sub-todo", [call("todo", action="add", text="sub task"), {"content": "Added."}])
    fake_ollama_server.set_script("delegate-todo", [call("spawn_agent", task="Add it [[fake:sub-todo]]"),
                                                    {"content": "Ok."}])  # fmt: skip
    sid, ws = await open_session(mcp_live)
    await ws.message("Delegate [[fake:delegate-todo]]")
    asked = await until_asked(ws)
    assert asked["tool"] == "todo" and asked["is_subagent"] is True
    await ws.send({"type": "tool_approval", "call_id": asked["call_id"], "approved": True})
    events = await ws.until("stream_end", timeout=30)
    sub = next(e for e in events if e["type"] == "tool_call" and e["tool"] == "todo")
    assert sub["is_subagent"] is True and sub["success"] is True
    spawn = next(e for e in events if e["type"] == "tool_call" and e["tool"] == "spawn_agent")
    assert spawn["success"] is True and spawn["result"] == "Added."
    await ws.close()
