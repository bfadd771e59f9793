"""Tools of real MCP servers: listed as `<server>__<tool>` with their descriptions, a server that fails to start
reported by name while the others load, and `mcp:<server>` expanded to that server's tools."""

from __future__ import annotations

from agents_app.mcp.config import parse_servers
from agents_app.mcp.tools import expand_tool_names, mcp_tools
from tests.agents_app.mcp.conftest import time_server_entry


def test_the_time_server_tools_are_listed_with_their_descriptions_and_schemas(notes_server):
    servers, problems = parse_servers({"mcpServers": {"time": time_server_entry(), "notes": {"url": notes_server.url}}})
    assert problems == {}
    tools, problems = mcp_tools(servers, set())
    assert problems == {}
    by_name = {t.name: t for t in tools}
    assert set(by_name) == {
        "time__get_current_time", "time__convert_time", "notes__slow", "notes__lookup", "notes__picture",
    }  # fmt: skip
    current = by_name["time__get_current_time"]
    assert current.description == "Get current time in a specific timezone"
    assert current.parameters["required"] == ["timezone"] and current.source == "mcp:time"
    assert by_name["notes__lookup"].description == "Look a note up by its key."


def test_a_server_that_fails_to_start_is_reported_by_name_and_the_others_still_load(tmp_path):
    document = {
        "mcpServers": {
            "broken": {"command": str(tmp_path / "no-such-server")},
            "time": time_server_entry(),
            "bad entry": {"command": "x"},
            "both": {"command": "x", "url": "http://127.0.0.1:1/mcp"},
        }
    }
    servers, problems = parse_servers(document)
    assert set(servers) == {"broken", "time"}
    assert "letters, digits" in problems["bad entry"] and "either" in problems["both"]
    tools, failures = mcp_tools(servers, set())
    assert list(failures) == ["broken"] and failures["broken"].startswith("failed to start:")
    assert {t.name for t in tools} == {"time__get_current_time", "time__convert_time"}


def test_an_unreachable_http_server_is_reported_by_name():
    servers, _ = parse_servers({"mcpServers": {"gone": {"url": "http://127.0.0.1:9/mcp"}}})
    tools, failures = mcp_tools(servers, set())
    assert tools == [] and failures["gone"].startswith("failed to start:")


def test_mcp_server_names_expand_to_all_of_that_servers_tools_in_order():
    servers, _ = parse_servers({"mcpServers": {"time": time_server_entry()}})
    tools, _ = mcp_tools(servers, set())
    names = expand_tool_names(["todo", "mcp:time", "time__convert_time", "mcp:other"], tools)
    assert names == ("todo", "time__get_current_time", "time__convert_time")
