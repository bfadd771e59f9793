"""The agent loop: model turns and tool calls until a final answer, a stop, an error or the iteration limit.

`run_agent` is an async generator of RunItems. It knows nothing of HTTP, WebSockets or storage: the host stores
what it Records, relays what it Emits, and sets the StopSignal to stop it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from agents_app.engine.agent import ContextUsage, Emit, Record, RunInput, RunItem, RunServices, context_budget
from agents_app.engine.approval import Decision, ask_approval
from agents_app.engine.compression import compress_context
from agents_app.engine.llm import LLMError
from agents_app.engine.messages import ChatMessage, ToolCall
from agents_app.engine.planning import PlanOutcome, plan_request
from agents_app.engine.stop import Stopped
from agents_app.engine.tool_calls import ToolOutcome, refusal, run_tool
from agents_app.engine.tools.base import ToolContext
from agents_app.engine.turn import TurnProgress, TurnResult, stream_turn
from navi_project import events

STOPPED_RESULT = "Error: stopped by the user before this tool finished."


def system_message(run: RunInput) -> ChatMessage | None:
    parts = [run.agent.system_prompt.strip(), *(extra.strip() for extra in run.system_extras)]
    text = "\n\n".join(part for part in parts if part)
    return ChatMessage(role="system", content=text) if text else None


async def resolve_context_window(run: RunInput, services: RunServices) -> int:
    trained = await services.llm.context_length(run.agent.model)
    return context_budget(
        explicit=run.agent.max_context_tokens, default=run.agent.default_context_tokens, trained=trained
    )


class _RunTotals:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.answer: list[str] = []
        self.tool_call_count = 0
        self.token_count = 0
        self.context_tokens = 0

    @property
    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)


async def run_agent(run: RunInput, services: RunServices) -> AsyncIterator[RunItem]:
    totals = _RunTotals()
    yield Emit(events.stream_start())
    progress = TurnProgress()
    try:
        max_context = await resolve_context_window(run, services)
        system = system_message(run)
        context = ([system] if system else []) + list(run.history)
        tool_specs = [services.tools.get(name).spec() for name in run.agent.tools if name in services.tools]
        # num_ctx is the adapter's: one per model for every call, so the model is never reloaded.
        options = dict(run.agent.options)
        if run.agent.planning_enabled:
            planning = PlanOutcome()
            async for item in plan_request(run, services, planning, options=options):
                yield item
            if planning.offer is not None:
                context.append(planning.offer)
        for _ in range(run.agent.max_iterations):
            progress = TurnProgress()
            result = TurnResult()
            chunks = services.llm.chat(
                model=run.agent.model, messages=context, tools=tool_specs, think=run.agent.think, options=options
            )
            async for item in stream_turn(chunks, services.stop, progress, result):
                yield item
            totals.answer.append(result.content)
            totals.token_count += result.eval_count
            totals.context_tokens = result.prompt_eval_count + result.eval_count
            yield ContextUsage(totals.context_tokens, max_context)
            if not result.tool_calls:
                final = ChatMessage(
                    role="assistant",
                    content=result.content,
                    thinking=result.thinking or None,
                    elapsed_seconds=totals.elapsed,
                    tool_call_count=totals.tool_call_count,
                    token_count=totals.token_count,
                    truncated=result.truncated,
                )
                yield Record(final)
                yield Emit(
                    events.stream_end(
                        "".join(totals.answer),
                        context_tokens=totals.context_tokens,
                        max_context_tokens=max_context,
                        elapsed_seconds=final.elapsed_seconds,  # the stored answer and the event agree
                        tool_call_count=totals.tool_call_count,
                        token_count=totals.token_count,
                        truncated=result.truncated,
                    )
                )
                if run.depth == 0:  # a nested agent's context ends with its run
                    stored = [m for m in context if m is not system and m.in_context] + [final]
                    async for item in compress_context(
                        stored,
                        sent=[*context, final],
                        context_tokens=totals.context_tokens,
                        max_context=max_context,
                        agent=run.agent,
                        llm=services.llm,
                        stop=services.stop,
                    ):
                        yield item
                return
            calls = tuple(result.tool_calls)
            turn = ChatMessage(
                role="assistant", content=result.content or None, thinking=result.thinking or None, tool_calls=calls
            )
            yield Record(turn)
            context.append(turn)
            progress = TurnProgress()  # what was streamed is stored with the tool-call turn
            if result.thinking and not result.thinking_streamed:
                yield Emit(events.turn_thinking(result.thinking, is_subagent=run.depth > 0))
            for index, call in enumerate(calls):
                outcome = None
                try:
                    async for item in _call_tool(call, run, services):
                        if isinstance(item, ToolOutcome):
                            outcome = item
                        else:
                            yield item
                except Stopped:
                    # Every tool call keeps a result, so the stored context stays well-formed for the next run.
                    yield Emit(
                        events.tool_call(call.name, call.arguments, STOPPED_RESULT, False, is_subagent=run.depth > 0)
                    )
                    for unfinished in calls[index:]:
                        yield Record(_tool_result(unfinished, STOPPED_RESULT))
                    raise
                totals.tool_call_count += 1
                answer = _tool_result(call, outcome.result, outcome.images)
                yield Record(answer)
                context.append(answer)
        yield Emit(
            events.error(
                f"The agent stopped after {run.agent.max_iterations} model turns without a final answer "
                f"(max_iterations of profile {run.agent.profile_id!r})."
            )
        )
    except Stopped:
        partial = _partial_answer(progress, totals)
        if partial is not None:
            yield Record(partial)
        yield Emit(events.stream_stopped())
    except LLMError as exc:
        partial = _partial_answer(progress, totals)
        if partial is not None:
            yield Record(partial)
        yield Emit(events.error(str(exc)))


def _partial_answer(progress: TurnProgress, totals: _RunTotals) -> ChatMessage | None:
    if not progress.content and not progress.thinking:
        return None
    return ChatMessage(
        role="assistant",
        content=progress.text,
        thinking=progress.thinking_text or None,
        elapsed_seconds=totals.elapsed,
        tool_call_count=totals.tool_call_count,
        token_count=totals.token_count,
    )


async def _call_tool(call: ToolCall, run: RunInput, services: RunServices) -> AsyncIterator[Emit | ToolOutcome]:
    """tool_started, what the tool emits, tool_call; the last item is the ToolOutcome."""
    sub = run.depth > 0
    yield Emit(events.tool_started(call.name, call.arguments, is_subagent=sub))
    tool = services.tools.get(call.name)
    refused = refusal(call, tool, run.agent.tools)
    if refused:
        refused = f"Error: {refused}"
    elif call.name in run.agent.approval_required:
        async for item in ask_approval(call, call.arguments, services.approvals, services.stop, is_subagent=sub):
            if isinstance(item, Decision):
                refused = None if item.approved else item.reason
            else:
                yield item
    if refused:
        outcome = ToolOutcome(refused, False)
    else:

        def context_for(emit) -> ToolContext:
            return ToolContext(
                user_id=run.user_id,
                session_id=run.session_id,
                profile_id=run.agent.profile_id,
                ports=services.ports,
                emit=emit,
                depth=run.depth,
                services=services,
            )

        outcome = None
        async for item in run_tool(tool, call, context_for, services.stop):
            if isinstance(item, ToolOutcome):
                outcome = item
            else:
                yield item
    args = call.arguments if isinstance(call.arguments, dict) else {"value": call.arguments}
    yield Emit(events.tool_call(call.name, args, outcome.result, outcome.success, is_subagent=sub))
    yield outcome


def _tool_result(call: ToolCall, text: str, images: tuple[str, ...] = ()) -> ChatMessage:
    return ChatMessage(role="tool", content=text, images=images, tool_call_id=call.id, name=call.name)
