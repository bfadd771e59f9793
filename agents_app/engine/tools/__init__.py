"""Tools the agent can call. Each module defines one tool; `builtin_tools()` lists them."""

from agents_app.engine.tools.base import Tool, ToolContext, ToolError, ToolPorts, ToolRegistry
from agents_app.engine.tools.todo import todo_tool


def builtin_tools() -> list[Tool]:
    return [todo_tool]


__all__ = ["Tool", "ToolContext", "ToolError", "ToolPorts", "ToolRegistry", "builtin_tools"]
