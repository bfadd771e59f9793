"""A runner process closes its MCP servers on a clean shutdown: SIGTERM or SIGINT to daphne with its runner
in-process (embedded) or to `runworker agent-runner` (with Redis) ends its stdio server within a few seconds.

The stdio server is mcp-server-time under a shell that goes on waiting after it ends: a bare mcp-server-time
also ends when its parent dies and its stdin closes, so only a server that outlives its stdin shows that the
runner itself closes it (and terminates what is left)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.agents_app.mcp.conftest import TIME_SERVER, children_running, wait_for
from tests.e2e.client import connect, new_session
from tests.e2e.servers import ROOT, start_servers
from tests.fakes.fake_ollama import script

pytestmark = pytest.mark.asyncio

PROFILE = """\
id: clock
name: Clock
description: A test profile with the time server's tools.
model: qwen3:8b
enabled_tools: [mcp:time]
think: false
max_iterations: 4
"""


def process_group(pgid: int) -> list[int]:
    """Live processes of a process group (the SDK starts each stdio server in a session of its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


@pytest.fixture
def clock_navi(fake_ollama_server, tmp_path):
    wrapper = tmp_path / "outliving-time-server.sh"
    wrapper.write_text('"$@"\nsleep 600\n')
    profiles = tmp_path / "clock-profiles"
    profiles.mkdir()
    for source in (ROOT / "profiles").glob("*.yaml"):
        (profiles / source.name).write_text(source.read_text())
    (profiles / "clock.yaml").write_text(PROFILE)
    config = tmp_path / "mcp.json"
    entry = {"command": "/bin/sh", "args": [str(wrapper), TIME_SERVER, "--local-timezone", "Europe/Paris"]}
    config.write_text(json.dumps({"mcpServers": {"time": entry}}))
    fake_ollama_server.reset()
    navi = start_servers(
        tmp_path / "servers",
        ollama_url=fake_ollama_server.url,
        extra_env={"NAVI_MCP_CONFIG": str(config), "NAVI_PROFILES_DIR": str(profiles)},
    )
    navi.marker = str(wrapper)
    groups: set[int] = set()
    navi.groups = groups
    yield navi
    navi.stop()
    for pgid in groups:  # what a failing test left running
        if process_group(pgid):
            os.killpg(pgid, signal.SIGKILL)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_runner_stopped_by_a_signal_ends_its_stdio_mcp_server_within_seconds(clock_navi, signum):
    runners = [n for n in clock_navi.processes if n.startswith("worker")] or ["front-1"]
    ws = await connect(clock_navi.ws_url(clock_navi.url, new_session(clock_navi.url, "clock")))
    assert (await ws.next())["type"] == "session_sync"
    call = {"tool_calls": [{"name": "time__get_current_time", "arguments": {"timezone": "Asia/Tokyo"}}]}
    await ws.message("Time? " + script(call, {"content": "Ok."}))
    done = next(e for e in await ws.until("stream_end", timeout=60) if e["type"] == "tool_call")
    assert done["success"] is True and json.loads(done["result"])["timezone"] == "Asia/Tokyo"
    await ws.close()

    def servers_of_runners() -> list[int]:
        return [pid for name in runners for pid in children_running(clock_navi.processes[name].pid, clock_navi.marker)]

    # The servers started to list tools at start-up end within seconds; the one the run used stays.
    (server,) = wait_for(lambda: len(servers_of_runners()) == 1 and servers_of_runners(), timeout=30)
    clock_navi.groups.add(server)
    assert len(process_group(server)) >= 2  # the shell and mcp-server-time

    processes = [clock_navi.processes.pop(name) for name in runners]
    for process in processes:
        os.kill(process.pid, signum)  # the runner alone, not its process group
    for process in processes:
        assert process.wait(20) == 0, clock_navi.tail_logs()
    wait_for(lambda: not process_group(server), timeout=8)
