"""A runner process closes its MCP servers on a clean shutdown: SIGTERM or SIGINT to daphne with its runner
in-process (embedded) or to `runworker agent-runner` (with Redis) ends its stdio server within a few seconds.

The stdio server is mcp-server-time under a shell that goes on waiting after it ends: a bare mcp-server-time
also ends when its parent dies and its stdin closes, so only a server that outlives its stdin shows that the
runner itself closes it (and terminates what is left)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agents_app.mcp.conftest import TIME_SERVER, children_running, wait_for
from tests.e2e.client import connect, new_session
from tests.e2e.servers import ROOT, start_servers
from tests.fakes.fake_ollama import script

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


def clock_config(tmp_path: Path, *, server_delay: float = 0) -> tuple[Path, Path]:
    """An MCP config whose `time` server runs under a shell that waits on after it ends (and starts it after
    `server_delay` s), and the shell script's path."""
    wrapper = tmp_path / "outliving-time-server.sh"
    wrapper.write_text(f'sleep {server_delay}\n"$@"\nsleep 600\n')
    config = tmp_path / "mcp.json"
    entry = {"command": "/bin/sh", "args": [str(wrapper), TIME_SERVER, "--local-timezone", "Europe/Paris"]}
    config.write_text(json.dumps({"mcpServers": {"time": entry}}))
    return config, wrapper


def start_clock_navi(fake_ollama_server, tmp_path: Path):
    config, wrapper = clock_config(tmp_path)
    profiles = tmp_path / "clock-profiles"
    profiles.mkdir()
    for source in (ROOT / "profiles").glob("*.yaml"):
        (profiles / source.name).write_text(source.read_text())
    (profiles / "clock.yaml").write_text(PROFILE)
    fake_ollama_server.reset()
    navi = start_servers(
        tmp_path / "servers",
        ollama_url=fake_ollama_server.url,
        extra_env={"NAVI_MCP_CONFIG": str(config), "NAVI_PROFILES_DIR": str(profiles)},
    )
    navi.marker = str(wrapper)
    navi.groups = set()
    return navi


def stop_clock_navi(navi) -> None:
    navi.stop()
    for pgid in navi.groups:  # what a failing test left running
        if process_group(pgid):
            os.killpg(pgid, signal.SIGKILL)


def serving(navi, name: str) -> bool:
    """A runworker process has begun (channels logs it once the command runs; a stop signal is held from then)."""
    log = navi.workdir / f"{name}.log"
    return log.exists() and "Running worker" in log.read_text(errors="replace")


@pytest.fixture
def clock_navi(fake_ollama_server, tmp_path):
    navi = start_clock_navi(fake_ollama_server, tmp_path)
    yield navi
    stop_clock_navi(navi)


@pytest.mark.asyncio
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_runner_stopped_by_a_signal_ends_its_stdio_mcp_server_within_seconds(clock_navi, signum):
    runners = [n for n in clock_navi.processes if n.startswith("worker")] or ["front-1"]
    wait_for(lambda: all(serving(clock_navi, n) for n in runners if n.startswith("worker")), timeout=60)
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


def test_a_worker_stopped_while_it_starts_ends_cleanly_and_closes_the_server_it_started(tmp_path):
    # Loading the application lists the MCP tools, starting the stdio server: a SIGTERM meanwhile is held, not
    # fatal. The worker's own channel layer and database (in memory, SQLite): it stops before it would use them.
    config, wrapper = clock_config(tmp_path, server_delay=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS", "REDIS_URL"))}
    env.update(
        NAVI_MCP_CONFIG=str(config),
        NAVI_DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'navi.sqlite3'}",
        NAVI_LOG_LEVEL="WARNING",
    )
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "runworker", "agent-runner"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    shell = None
    try:
        shell = wait_for(lambda: children_running(worker.pid, str(wrapper)), timeout=60)[0]
        os.kill(worker.pid, signal.SIGTERM)  # while the server is still starting: the listing has not ended
        assert worker.wait(30) == 0, log.read_text(errors="replace")
        wait_for(lambda: not process_group(shell), timeout=8)
    finally:
        for pgid in (worker.pid, shell):
            if pgid and process_group(pgid):
                os.killpg(pgid, signal.SIGKILL)
