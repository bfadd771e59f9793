"""MCP tools through the real servers: listed, called in a WebSocket run, a killed stdio server started again,
a slow HTTP call stopped, and an MCP error handed to the model as a failed call while the run goes on."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest

from tests.agents_app.mcp.conftest import PICTURE_BASE64, children_running
from tests.e2e.client import connect, new_session, rest, types
from tests.fakes.fake_ollama import script

pytestmark = pytest.mark.asyncio


def call(name: str, **arguments) -> dict:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


async def open_session(live):
    sid = new_session(live.url, "mcp_agent")
    ws = await connect(live.ws_url(live.url, sid))
    assert (await ws.next())["type"] == "session_sync"
    return sid, ws


def runner_processes(live) -> dict[str, int]:
    names = [n for n in live.processes if n.startswith("worker")] or ["front-1"]
    return {name: live.processes[name].pid for name in names}


def time_servers(live) -> dict[int, str]:
    """Each running mcp-server-time process and the runner it belongs to."""
    return {pid: name for name, parent in runner_processes(live).items()
            for pid in children_running(parent, "mcp-server-time")}  # fmt: skip


async def ask_time(ws, zone: str) -> dict:
    await ws.message(f"Time in {zone}? " + script(call("time__get_current_time", timezone=zone), {"content": "Ok."}))
    events = await ws.until("stream_end", timeout=60)
    return next(e for e in events if e["type"] == "tool_call")


async def test_mcp_tools_are_listed_and_named_in_the_profile(mcp_live):
    with rest(mcp_live.url) as api:
        listed = {t["name"]: t["description"] for t in api.get("/agents/tools").json()}
        profile = next(p for p in api.get("/agents/profiles").json() if p["id"] == "mcp_agent")
    assert listed["time__get_current_time"] == "Get current time in a specific timezone"
    assert listed["notes__lookup"] == "Look a note up by its key."
    assert profile["enabled_tools"] == [
        "time__get_current_time", "time__convert_time", "notes__slow", "notes__lookup", "notes__picture",
        "todo", "spawn_agent",
    ]  # fmt: skip


async def test_a_stdio_tool_runs_in_a_websocket_run_and_its_killed_process_is_started_again(
    mcp_live, fake_ollama_server
):
    sid, ws = await open_session(mcp_live)
    done = await ask_time(ws, "Asia/Tokyo")
    assert done["tool"] == "time__get_current_time" and done["success"] is True
    assert json.loads(done["result"])["timezone"] == "Asia/Tokyo"
    # The model got the result as the tool's answer.
    tool_message = fake_ollama_server.requests()[-1]["messages"][-1]
    assert tool_message["role"] == "tool" and '"timezone": "Asia/Tokyo"' in tool_message["content"]
    servers = time_servers(mcp_live)
    assert servers, "no mcp-server-time process runs under a runner"
    killed, owner = next(iter(servers.items()))
    os.kill(killed, signal.SIGKILL)
    # With two workers a run goes to either: ask until the one whose server died has served a call again.
    for _ in range(8):
        again = await ask_time(ws, "Europe/Paris")
        assert again["success"] is True, again["result"]
        assert json.loads(again["result"])["timezone"] == "Europe/Paris"
        if owner in time_servers(mcp_live).values():
            break
    restarted = [pid for pid, name in time_servers(mcp_live).items() if name == owner]
    assert len(restarted) == 1 and restarted[0] != killed
    await ws.close()


async def test_a_slow_http_tool_call_is_stopped_and_the_run_ends_stopped(mcp_live):
    mark = mcp_live.notes.marks / "slow-cancelled"
    mark.unlink(missing_ok=True)
    sid, ws = await open_session(mcp_live)
    await ws.message("Wait " + script(call("notes__slow", seconds=60), {"content": "Never."}))
    await ws.until("tool_started")
    await asyncio.sleep(0.5)
    with rest(mcp_live.url) as api:
        assert api.post(f"/sessions/{sid}/stop").json() == {"ok": True}
    events = await ws.until("stream_stopped", timeout=20)
    stopped = next(e for e in events if e["type"] == "tool_call")
    assert stopped["success"] is False and "stopped by the user" in stopped["result"]
    for _ in range(100):
        if mark.exists():
            break
        await asyncio.sleep(0.1)
    assert mark.read_text() == "cancelled"
    await ws.close()


async def test_an_mcp_error_is_a_failed_call_with_the_reason_and_the_run_goes_on(mcp_live, fake_ollama_server):
    sid, ws = await open_session(mcp_live)
    await ws.message("Convert " + script(
        call("time__convert_time", source_timezone="Nowhere/Land", time="12:00", target_timezone="Etc/UTC"),
        {"content": "That zone does not exist."},
    ))  # fmt: skip
    events = await ws.until("stream_end", timeout=60)
    assert types(events)[:3] == ["stream_start", "tool_started", "tool_call"]
    failed = events[2]
    assert failed["success"] is False and "Invalid timezone" in failed["result"]
    assert events[-1]["content"] == "That zone does not exist."
    await ws.close()


async def test_an_mcp_image_reaches_the_model_as_an_image_on_the_tool_message_and_the_client_gets_a_note(
    mcp_live, fake_ollama_server
):
    sid, ws = await open_session(mcp_live)
    await ws.message("Show me " + script(call("notes__picture"), {"content": "A pixel."}))
    events = await ws.until("stream_end", timeout=60)
    shown = next(e for e in events if e["type"] == "tool_call")
    assert shown["success"] is True and shown["result"] == "[image: image/png, 70 bytes]"
    tool_message = fake_ollama_server.requests()[-1]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_name"] == "notes__picture"
    assert tool_message["images"] == [PICTURE_BASE64]
    assert tool_message["content"] == "[image: image/png, 70 bytes]"
    await ws.close()
