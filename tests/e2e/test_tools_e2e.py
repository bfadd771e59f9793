"""Agent tools through the real servers: sub-agent events over a WebSocket, the profile switch, memory across
sessions, the example user tool from its folder, tool schemas on the wire, and stop during a slow tool."""

from __future__ import annotations

import asyncio
import textwrap
import uuid
from pathlib import Path

import pytest

from agents_app.engine.tools import builtin_tools
from agents_app.tool_registry import load_user_tools
from tests.e2e.client import connect, new_session, rest, types
from tests.e2e.servers import start_servers
from tests.fakes.fake_ollama import script

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[2]
TOOLBOX = ["todo", "web_search", "web_fetch", "memory", "spawn_agent", "switch_profile", "roll_dice"]


def call(name: str, **arguments) -> dict:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


async def open_session(live, profile_id: str = "toolbox"):
    sid = new_session(live.url, profile_id)
    ws = await connect(live.ws_url(live.url, sid))
    assert (await ws.next())["type"] == "session_sync"
    return sid, ws


async def test_sub_agent_events_stream_marked_inside_the_spawn_agent_call(live, fake_ollama_server):
    fake_ollama_server.set_script("sub-dice", [{"thinking": "Roll them.", **call("roll_dice", dice="2d6")},
                                               {"content": "The dice show a total."}])  # fmt: skip
    task = "Roll 2d6 and report. [[fake:sub-dice]]"
    # The sub-agent runs a profile that asks for reasoning: `think: false` (toolbox's) gets none from the model.
    delegate = call("spawn_agent", task=task, profile_id="thinker")
    fake_ollama_server.set_script("delegate", [delegate, {"content": "My helper rolled."}])
    sid, ws = await open_session(live)
    await ws.message("Delegate the dice [[fake:delegate]]")
    events = await ws.until("stream_end")
    shape = [(e["type"], e.get("tool"), e.get("is_subagent")) for e in events if e["type"] != "stream_delta"]
    assert shape == [
        ("stream_start", None, None),
        ("tool_started", "spawn_agent", False),
        ("turn_thinking", None, True),
        ("tool_started", "roll_dice", True),
        ("tool_call", "roll_dice", True),
        ("tool_call", "spawn_agent", False),
        ("stream_end", None, None),
    ]
    sub_call = next(e for e in events if e["type"] == "tool_call" and e["tool"] == "roll_dice")
    assert sub_call["success"] and sub_call["result"].startswith("Rolled 2d6: [")
    spawn = next(e for e in events if e["type"] == "tool_call" and e["tool"] == "spawn_agent")
    args = {"task": task, "profile_id": "thinker"}
    assert spawn == {**spawn, "args": args, "result": "The dice show a total.", "success": True}
    assert events[-1]["content"] == "My helper rolled."
    # The sub-agent's own model request started from the task alone.
    sub_request = next(r for r in fake_ollama_server.requests() if r["messages"][-1]["content"] == task)
    assert [m["role"] for m in sub_request["messages"]] == ["system", "user"]
    with rest(live.url) as api:
        stored = api.get(f"/sessions/{sid}").json()["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant", "tool", "assistant"]  # no sub-agent turns
    await ws.close()


async def test_profile_switched_comes_between_tool_started_and_tool_call_and_the_next_message_uses_it(
    live, fake_ollama_server
):
    sid, ws = await open_session(live)
    await ws.message("Go tiny " + script(call("switch_profile", profile_id="tiny"), {"content": "Switched."}))
    events = await ws.until("stream_end")
    assert types(events) == [
        "stream_start", "tool_started", "profile_switched", "tool_call", "stream_delta", "stream_end",
    ]  # fmt: skip
    assert events[2] == {"type": "profile_switched", "profile_id": "tiny", "profile_name": "Tiny Context"}
    assert events[3]["tool"] == "switch_profile" and events[3]["success"] is True
    # The running turn kept its profile; the session's profile is the new one.
    assert [r["model"] for r in fake_ollama_server.requests()] == ["qwen3:8b", "qwen3:8b"]
    with rest(live.url) as api:
        assert api.get(f"/sessions/{sid}").json()["profile_id"] == "tiny"
    await ws.message("hello again")
    events = await ws.until("stream_end")
    assert events[-1]["content"] == "Echo: hello again"
    last = fake_ollama_server.requests()[-1]
    assert last["model"] == "tiny:ctx" and last["messages"][0]["content"].startswith("You are a terse test agent.")
    await ws.close()


async def test_a_remembered_fact_reaches_the_model_in_a_later_session(live, fake_ollama_server):
    city = f"Atlantis-{uuid.uuid4().hex[:8]}"
    _, first = await open_session(live)
    remember = call("memory", action="remember", category="profile", key="home_city", value=city, confidence=90)
    await first.message("I live in " + city + " " + script(remember, {"content": "Noted."}))
    events = await first.until("stream_end")
    saved = next(e for e in events if e["type"] == "tool_call")
    assert saved["success"] and saved["result"] == f"Remembered [profile] home_city: {city} (confidence 90%)"
    await first.close()

    _, second = await open_session(live, "secretary")
    await second.message("Which city do I live in?")
    await second.until("stream_end")
    system = fake_ollama_server.requests()[-1]["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("You are Navi")
    assert f"- [profile] home_city: {city} (confidence 90%)" in system["content"]
    await second.close()


async def test_the_example_user_tool_is_listed_offered_with_its_schema_and_runs(live, fake_ollama_server):
    with rest(live.url) as api:
        listed = {t["name"]: t["description"] for t in api.get("/agents/tools").json()}
    assert listed["roll_dice"].startswith("Roll dice")
    assert {t.name for t in builtin_tools()} <= set(listed)
    _, ws = await open_session(live)
    await ws.message("Roll " + script(call("roll_dice", dice="3d4"), {"content": "Rolled."}))
    events = await ws.until("stream_end")
    rolled = next(e for e in events if e["type"] == "tool_call")
    assert rolled["success"] and rolled["result"].startswith("Rolled 3d4: [")
    # Each enabled tool's JSON schema reached Ollama exactly as the tool declares it.
    user_tools, _ = load_user_tools(ROOT / "user_tools", set())
    specs = {t.name: t.spec() for t in [*builtin_tools(), *user_tools]}
    assert fake_ollama_server.requests()[0]["tools"] == [specs[name] for name in TOOLBOX]
    await ws.close()


async def test_a_tool_the_profile_does_not_enable_is_refused_not_run(live, fake_ollama_server):
    _, ws = await open_session(live, "tiny")  # enables only todo
    await ws.message("x " + script(call("switch_profile", profile_id="toolbox"), {"content": "ok"}))
    events = await ws.until("stream_end")
    refused = next(e for e in events if e["type"] == "tool_call")
    assert refused["success"] is False and refused["result"].startswith("Error: Tool 'switch_profile' is not available")
    assert "profile_switched" not in types(events)
    assert [t["function"]["name"] for t in fake_ollama_server.requests()[0]["tools"]] == ["todo"]
    await ws.close()


async def test_stop_during_a_slow_tool_ends_the_run_and_the_session_stays_usable(live, fake_ollama_server):
    fake_ollama_server.set_script("slow-sub", [{"content": "never " * 50, "first_delay": 30}])
    fake_ollama_server.set_script("slow-parent", [call("spawn_agent", task="Take your time [[fake:slow-sub]]")])
    sid, ws = await open_session(live)
    await ws.message("Start [[fake:slow-parent]]")
    started = await ws.until("tool_started")
    assert started[-1]["tool"] == "spawn_agent"
    with rest(live.other_url()) as api:
        assert api.post(f"/sessions/{sid}/stop").json() == {"ok": True}
    events = await ws.until("stream_stopped", timeout=10)
    closing = next(e for e in events if e["type"] == "tool_call")
    assert closing["tool"] == "spawn_agent" and closing["success"] is False
    assert "stopped" in closing["result"]
    await ws.message("still there?")
    assert (await ws.until("stream_end"))[-1]["content"] == "Echo: still there?"
    await ws.close()


NAP = """
import asyncio
from pathlib import Path

from agents_app.engine.tools import Tool


async def nap(args, ctx):
    try:
        await asyncio.sleep(float(args.get("seconds", 60)))
    except asyncio.CancelledError:
        Path(__file__).with_name("nap.cancelled").write_text(ctx.session_id)
        raise
    return "rested"


TOOLS = [Tool(name="nap", description="Sleep a while.", run=nap, timeout=120,
              parameters={"type": "object", "properties": {"seconds": {"type": "number"}}})]
"""
NAPPER = """
id: napper
name: Napper
model: qwen3:8b
enabled_tools: [nap, todo]
system_prompt: You nap.
"""


@pytest.fixture(scope="module")
def napping_server(fake_ollama_server, tmp_path_factory):
    """A server whose NAVI_USER_TOOLS_DIR holds a slow tool and a broken file, with a profile using the tool."""
    work = tmp_path_factory.mktemp("navi-user-tools")
    tools, profiles = work / "my_tools", work / "my_profiles"
    tools.mkdir()
    profiles.mkdir()
    (tools / "nap.py").write_text(textwrap.dedent(NAP))
    (tools / "broken.py").write_text("import a_module_that_is_not_installed\n")
    (profiles / "napper.yaml").write_text(textwrap.dedent(NAPPER))
    servers = start_servers(
        work / "servers",
        ollama_url=fake_ollama_server.url,
        extra_env={"NAVI_USER_TOOLS_DIR": str(tools), "NAVI_PROFILES_DIR": str(profiles)},
        database_url="",
        redis_url="",
    )
    yield servers, tools
    servers.stop()


async def test_user_tools_load_from_their_folder_and_a_broken_file_is_reported_by_name(napping_server):
    servers, _ = napping_server
    with rest(servers.url) as api:
        names = [t["name"] for t in api.get("/agents/tools").json()]
        profiles = [p["id"] for p in api.get("/agents/profiles").json()]
    assert "nap" in names and "broken" not in names and "roll_dice" not in names
    assert profiles == ["napper"]
    log = servers.tail_logs(200)
    assert "user tool file broken.py skipped: failed to import: ModuleNotFoundError" in log


async def test_stop_cancels_a_slow_user_tool_and_the_session_goes_on(napping_server, fake_ollama_server):
    servers, tools = napping_server
    marker = tools / "nap.cancelled"
    marker.unlink(missing_ok=True)
    sid = new_session(servers.url, "napper")
    ws = await connect(servers.ws_url(servers.url, sid))
    assert (await ws.next())["type"] == "session_sync"
    await ws.message("Rest " + script(call("nap", seconds=60), {"content": "Rested."}))
    assert (await ws.until("tool_started"))[-1]["tool"] == "nap"
    await asyncio.sleep(0.3)
    loop = asyncio.get_running_loop()
    asked = loop.time()
    with rest(servers.url) as api:
        assert api.post(f"/sessions/{sid}/stop").json() == {"ok": True}
    events = await ws.until("stream_stopped", timeout=10)
    assert loop.time() - asked < 5
    assert types(events) == ["tool_call", "stream_stopped"]
    assert events[0]["tool"] == "nap" and events[0]["success"] is False and "stopped" in events[0]["result"]
    for _ in range(50):  # the tool saw its cancellation
        if marker.exists():
            break
        await asyncio.sleep(0.05)
    assert marker.read_text() == sid
    with rest(servers.url) as api:
        stored = api.get(f"/sessions/{sid}").json()["messages"]
    assert [(m["role"], m.get("name")) for m in stored][-2:] == [("assistant", None), ("tool", "nap")]
    await ws.message("awake?")
    assert (await ws.until("stream_end"))[-1]["content"] == "Echo: awake?"
    await ws.close()
