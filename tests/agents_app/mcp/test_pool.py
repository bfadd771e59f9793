"""Calls through the runner's connections: results as text, errors as tool errors, a killed stdio server started
again, a slow HTTP call cancelled (as stop does), and a server that goes away."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest
import pytest_asyncio

from agents_app.engine.tools import ToolError
from agents_app.mcp.config import parse_servers
from agents_app.mcp.pool import McpPool
from tests.agents_app.mcp.conftest import PICTURE_BASE64, children_running, time_server_entry

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def pool(notes_server):
    servers, _ = parse_servers(
        {"mcpServers": {"time": time_server_entry(), "notes": {"url": notes_server.url, "timeout": 20}}}
    )
    pool = McpPool(servers)
    yield pool
    await pool.close()


def time_servers() -> list[int]:
    return children_running(os.getpid(), "mcp-server-time")


async def test_a_stdio_call_returns_the_servers_text_and_starts_one_process_on_first_use(pool):
    assert time_servers() == []
    text = await pool.call("time", "get_current_time", {"timezone": "Asia/Tokyo"})
    answer = json.loads(text)
    assert answer["timezone"] == "Asia/Tokyo" and answer["datetime"].endswith("+09:00")
    await pool.call("time", "get_current_time", {"timezone": "Etc/UTC"})
    assert len(time_servers()) == 1


async def test_an_error_of_the_stdio_server_becomes_a_tool_error_and_the_server_stays_up(pool):
    with pytest.raises(ToolError, match="Invalid timezone"):
        await pool.call("time", "get_current_time", {"timezone": "Mars/Olympus"})
    first = time_servers()
    assert json.loads(await pool.call("time", "get_current_time", {"timezone": "Etc/UTC"}))["timezone"] == "Etc/UTC"
    assert time_servers() == first


async def test_a_stdio_server_killed_with_sigkill_is_started_again_for_the_next_call(pool):
    await pool.call("time", "get_current_time", {"timezone": "Etc/UTC"})
    (killed,) = time_servers()
    os.kill(killed, signal.SIGKILL)
    await asyncio.sleep(0.3)
    answer = json.loads(await pool.call("time", "convert_time", {
        "source_timezone": "Europe/Paris", "time": "12:00", "target_timezone": "Asia/Tokyo",
    }))  # fmt: skip
    assert answer["target"]["datetime"].endswith("20:00:00+09:00")
    (restarted,) = time_servers()
    assert restarted != killed


async def test_closing_the_pool_ends_the_stdio_process(pool):
    await pool.call("time", "get_current_time", {"timezone": "Etc/UTC"})
    assert len(time_servers()) == 1
    await pool.close()
    for _ in range(100):
        if not time_servers():
            break
        await asyncio.sleep(0.1)
    assert time_servers() == []


async def test_http_results_structured_becomes_text_and_an_image_comes_with_a_note(pool):
    assert json.loads(await pool.call("notes", "lookup", {"key": "milk"})) == {"key": "milk", "note": "buy two litres"}
    picture = await pool.call("notes", "picture", {})
    assert picture.text == "[image: image/png, 70 bytes]"
    assert picture.images == (PICTURE_BASE64,)


async def test_an_http_tool_error_is_surfaced_with_the_servers_reason(pool):
    with pytest.raises(ToolError, match="no note called 'bread'"):
        await pool.call("notes", "lookup", {"key": "bread"})


async def test_a_slow_http_call_is_cancelled_at_the_server_and_the_connection_serves_the_next_call(pool, notes_server):
    mark = notes_server.marks / "slow-cancelled"
    mark.unlink(missing_ok=True)
    call = asyncio.create_task(pool.call("notes", "slow", {"seconds": 30}))
    await asyncio.sleep(1.0)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(100):
        if mark.exists():
            break
        await asyncio.sleep(0.1)
    assert mark.read_text() == "cancelled"
    assert await pool.call("notes", "slow", {"seconds": 0.01}) == "waited 0.01 s"


async def test_a_server_that_is_not_there_gives_a_tool_error_naming_it():
    servers, _ = parse_servers({"mcpServers": {"gone": {"url": "http://127.0.0.1:9/mcp"}}})
    pool = McpPool(servers)
    with pytest.raises(ToolError, match="MCP server 'gone' could not be started"):
        await pool.call("gone", "anything", {})
    with pytest.raises(ToolError, match="not configured"):
        await pool.call("other", "anything", {})
