"""Navi with MCP servers configured: `mcp-server-time` over stdio and the SDK-built notes server over HTTP."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.agents_app.mcp.conftest import notes_server, time_server_entry  # noqa: F401 - the fixture
from tests.e2e.servers import ROOT, start_servers

APPROVAL_TIMEOUT_SECONDS = 8
MCP_PROFILE = """\
id: mcp_agent
name: MCP agent
description: A test profile with the tools of two MCP servers.
model: qwen3:8b
enabled_tools: [mcp:time, mcp:notes, todo, spawn_agent]
approval_required: [notes__lookup, todo]
think: false
max_iterations: 6
"""


@pytest.fixture(scope="session")
def mcp_navi(fake_ollama_server, notes_server, tmp_path_factory):  # noqa: F811
    workdir = tmp_path_factory.mktemp("mcp-navi")
    profiles = workdir / "mcp-profiles"
    profiles.mkdir()
    for source in [*(ROOT / "profiles").glob("*.yaml"), *(ROOT / "tests" / "profiles").glob("*.yaml")]:
        shutil.copy(source, profiles / source.name)
    (profiles / "mcp_agent.yaml").write_text(MCP_PROFILE)
    config = workdir / "mcp.json"
    servers = {"time": time_server_entry(), "notes": {"url": notes_server.url, "timeout": 30}}
    config.write_text(json.dumps({"mcpServers": servers}))
    navi = start_servers(
        workdir / "servers",
        ollama_url=fake_ollama_server.url,
        extra_env={
            "NAVI_MCP_CONFIG": str(config),
            "NAVI_PROFILES_DIR": str(profiles),
            "NAVI_APPROVAL_TIMEOUT_SECONDS": str(APPROVAL_TIMEOUT_SECONDS),
        },
    )
    navi.notes = notes_server
    yield navi
    navi.stop()


@pytest.fixture
def mcp_live(mcp_navi, fake_ollama_server):
    fake_ollama_server.reset()
    yield mcp_navi
