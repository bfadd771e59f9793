"""The process-wide tool registry: built-in tools plus user tools from NAVI_USER_TOOLS_DIR."""

from __future__ import annotations

import logging

from agents_app.engine.tools import ToolRegistry, builtin_tools

logger = logging.getLogger(__name__)

_registry: ToolRegistry | None = None
# Problems found while loading user tools, by file name, for start-up reporting.
load_problems: dict[str, str] = {}


def tool_registry() -> ToolRegistry:
    global _registry
    if _registry is None:
        _registry = ToolRegistry(builtin_tools())
    return _registry


def reset_tool_registry() -> None:
    global _registry
    _registry = None
