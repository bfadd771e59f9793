"""MCP servers are asked for their tools only by the processes that serve or run agents: `migrate` and other
management commands start none, daphne (and `runworker` with Redis) start each one and name a failing one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.agents_app.mcp.conftest import TIME_SERVER, wait_for
from tests.e2e.servers import ROOT, start_servers


@pytest.fixture
def counted_config(tmp_path):
    """An MCP config whose stdio server writes a line to `starts` each time it is started, and one that fails."""
    starts = tmp_path / "starts"
    wrapper = tmp_path / "counting-time-server.sh"
    wrapper.write_text(f'echo started >> "{starts}"\nexec "$@"\n')
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {
        "time": {"command": "/bin/sh", "args": [str(wrapper), TIME_SERVER]},
        "broken": {"command": str(tmp_path / "no-such-server")},
    }}))  # fmt: skip
    return config, starts


def test_migrate_and_other_management_commands_start_no_mcp_server(counted_config, tmp_path):
    config, starts = counted_config
    env = {"NAVI_MCP_CONFIG": str(config), "NAVI_DATA_DIR": str(tmp_path / "data"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'navi.sqlite3'}", "PATH": "/usr/bin:/bin"}  # fmt: skip
    for command in (["migrate", "--noinput", "-v0"], ["check"], ["showmigrations", "agents_app"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert "MCP server" not in done.stderr
    assert not starts.exists()


def test_the_serving_processes_list_each_servers_tools_at_start_up_and_name_a_failing_one(
    counted_config, fake_ollama_server, tmp_path
):
    config, starts = counted_config
    navi = start_servers(
        tmp_path / "servers",
        ollama_url=fake_ollama_server.url,
        extra_env={"NAVI_MCP_CONFIG": str(config)},
    )
    try:
        # Workers are not waited for by start_servers: wait until every log names the failing server.
        wait_for(lambda: all("MCP server broken: failed to start" in log.read_text() for log in navi.logs), 60)
        # One start per serving process, none by `migrate` (start_servers ran it first).
        assert starts.read_text().splitlines() == ["started"] * len(navi.processes)
    finally:
        navi.stop()
