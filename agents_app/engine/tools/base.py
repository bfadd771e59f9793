"""What a tool is, what it is given when it runs, and the registry of tools by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


class ToolError(Exception):
    """A failure the tool expected; its message becomes the tool result with `success: false`."""


@dataclass(frozen=True)
class ToolPorts:
    """Storage the tools reach through; the host (the runner) supplies implementations.

    Each is a small protocol defined next to the tool that uses it, e.g. `tools.todo.TodoStore`.
    """

    todos: Any = None
    memory: Any = None  # tools.memory.MemoryStore
    profiles: Any = None  # tools.switch_profile.ProfileDirectory
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ToolContext:
    user_id: str
    session_id: str
    profile_id: str
    ports: ToolPorts
    # Sends a client event while the tool runs (a sub-agent's events, profile_switched).
    emit: Callable[[dict], None]
    depth: int = 0
    # The running agent's RunServices (model, tools, stop), for tools that run a nested agent.
    services: Any = None


@dataclass(frozen=True)
class ToolResult:
    """A result with images (an MCP image part, say): the text is what the client sees, the images go to the
    model on the tool message (raw base64, as ChatMessage.images)."""

    text: str
    images: tuple[str, ...] = ()


ToolBody = Callable[[dict, ToolContext], Awaitable[str | ToolResult]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict  # JSON schema of the arguments object
    run: ToolBody
    timeout: float = 60.0
    source: str = "builtin"

    def spec(self) -> dict:
        """The tool as Ollama's `tools` entry."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"a tool named {tool.name!r} is already registered")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def all(self) -> list[Tool]:
        return list(self._tools.values())

    def __contains__(self, name: str) -> bool:
        return name in self._tools
