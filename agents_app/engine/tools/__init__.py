"""Tools the agent can call. Each module defines one tool; `builtin_tools()` lists them."""

from agents_app.engine.tools.base import Tool, ToolContext, ToolError, ToolPorts, ToolRegistry, ToolResult
from agents_app.engine.tools.filesystem import filesystem_tool
from agents_app.engine.tools.memory import memory_tool
from agents_app.engine.tools.spawn_agent import spawn_agent_tool
from agents_app.engine.tools.switch_profile import switch_profile_tool
from agents_app.engine.tools.todo import todo_tool
from agents_app.engine.tools.web_fetch import web_fetch_tool
from agents_app.engine.tools.web_search import web_search_tool


def builtin_tools() -> list[Tool]:
    return [
        todo_tool,
        web_search_tool,
        web_fetch_tool,
        memory_tool,
        spawn_agent_tool,
        switch_profile_tool,
        filesystem_tool,
    ]


__all__ = ["Tool", "ToolContext", "ToolError", "ToolPorts", "ToolRegistry", "ToolResult", "builtin_tools"]
