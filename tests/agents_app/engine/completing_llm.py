"""The scripted LLM port plus `complete()` (whole answers for summaries and plans), for engine tests."""

from __future__ import annotations

import asyncio

from agents_app.engine import AgentSpec, Completion, Emit, RunInput, RunServices, StopSignal, run_agent
from agents_app.engine.tools import ToolPorts, ToolRegistry
from tests.fakes.scripted_llm import ScriptedLLM


class CompletingLLM(ScriptedLLM):
    """`answers` are played in order by `complete()`; an Exception instance is raised instead of answered."""

    def __init__(self, turns, answers=(), *, context_length=8192, answer_delay: float = 0.0) -> None:
        super().__init__(turns, context_length=context_length)
        self.answers = list(answers)
        self.completions: list[dict] = []
        self.answer_delay = answer_delay
        self.asked = asyncio.Event()  # set by the first complete()

    async def complete(self, *, model, messages, options=None, think=False) -> Completion:
        self.completions.append({"model": model, "messages": list(messages), "options": options, "think": think})
        self.asked.set()
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        answer = self.answers.pop(0) if self.answers else ""
        if isinstance(answer, Exception):
            raise answer
        return answer if isinstance(answer, Completion) else Completion(text=answer)


def agent(**fields) -> AgentSpec:
    base = {
        "profile_id": "p",
        "name": "P",
        "model": "m",
        "system_prompt": "You are a test agent.",
        "max_iterations": 5,
        "default_context_tokens": 32768,
    }
    return AgentSpec(**{**base, **fields})


async def items_of(run_input: RunInput, llm, *, registry=None, stop=None) -> list:
    services = RunServices(llm=llm, tools=registry or ToolRegistry(), ports=ToolPorts(), stop=stop or StopSignal())
    return [item async for item in run_agent(run_input, services)]


def emitted(items) -> list[dict]:
    return [i.event for i in items if isinstance(i, Emit)]
