"""Navi's agent engine: plain async Python, no Django. The host drives `run_agent` and supplies the ports."""

from agents_app.engine.agent import (
    AgentSpec,
    Compress,
    ContextUsage,
    Emit,
    PlanningTrace,
    Record,
    RunInput,
    RunItem,
    RunServices,
)
from agents_app.engine.llm import LLM, Completion, LLMChunk, LLMError
from agents_app.engine.loop import run_agent
from agents_app.engine.messages import ChatMessage, ToolCall
from agents_app.engine.stop import Stopped, StopSignal

__all__ = [
    "LLM",
    "AgentSpec",
    "ChatMessage",
    "Completion",
    "Compress",
    "ContextUsage",
    "Emit",
    "LLMChunk",
    "LLMError",
    "PlanningTrace",
    "Record",
    "RunInput",
    "RunItem",
    "RunServices",
    "StopSignal",
    "Stopped",
    "ToolCall",
    "run_agent",
]
