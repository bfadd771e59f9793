"""Context compression: when a response leaves the context at >= 80% of the window, summarize its older part.

The stored context (every message the model sees after the system prompt) is split in two: the older part is
summarized by the model into one message, the recent part stays verbatim. The split falls on a user message
(the start of a turn) when one fits the budget, else on any message that is not a tool result, so a tool call
and its results are never separated. If summarizing fails or is stopped, nothing changes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from agents_app.engine.agent import AgentSpec, Compress, Emit
from agents_app.engine.completion import complete_unless_stopped
from agents_app.engine.llm import LLM, LLMError
from agents_app.engine.messages import ChatMessage
from agents_app.engine.stop import Stopped, StopSignal
from navi_project import events

logger = logging.getLogger(__name__)

THRESHOLD = 0.8  # share of the window that triggers compression
KEEP_SHARE = 0.3  # at most this share of the window stays verbatim
SUMMARY_SHARE = 0.1  # length budget of the summary
TRANSCRIPT_SHARE = 0.6  # the summarization request must fit the window too
MIN_MESSAGE_CHARS = 200  # a message is never cut shorter than this in the transcript
SUMMARY_PREFIX = "Summary of the earlier conversation (older messages were compressed):\n\n"

SUMMARY_INSTRUCTIONS = """You compress a conversation between a user and an AI assistant so that it can go on \
within a limited context window. Summarize the conversation transcript you are given. Keep everything needed to \
continue it: the user's goals and requests, decisions made, facts, figures and names learned (tool results \
included), files mentioned, and unfinished tasks or open questions. Write in the third person ("The user asked \
..."), as short paragraphs or bullet points, with no preamble. Use at most {words} words."""


@dataclass(frozen=True)
class Budget:
    max_context: int
    tokens_per_char: float  # measured on this run's context: Ollama's count over the characters sent

    @property
    def keep_tokens(self) -> int:
        return int(self.max_context * KEEP_SHARE)

    @property
    def summary_tokens(self) -> int:
        return max(64, int(self.max_context * SUMMARY_SHARE))

    @property
    def transcript_chars(self) -> int:
        return max(2000, int(self.max_context * TRANSCRIPT_SHARE / self.tokens_per_char))

    def tokens(self, message: ChatMessage) -> float:
        return message_chars(message) * self.tokens_per_char


def needs_compression(context_tokens: int, max_context: int) -> bool:
    return max_context > 0 and context_tokens >= THRESHOLD * max_context


def message_chars(message: ChatMessage) -> int:
    calls = sum(len(c.name) + len(str(c.arguments)) for c in message.tool_calls)
    return len(message.content or "") + len(message.thinking or "") + calls + 4


def measure(messages: Sequence[ChatMessage], context_tokens: int, max_context: int) -> Budget:
    chars = sum(message_chars(m) for m in messages)
    return Budget(max_context=max_context, tokens_per_char=max(0.05, context_tokens / max(1, chars)))


def choose_split(messages: Sequence[ChatMessage], budget: Budget) -> int | None:
    """Index of the first message kept verbatim (messages before it are summarized), or None if nothing to do.

    The most recent turns that fit `budget.keep_tokens` are kept whole; if not even the last turn fits, the split
    moves inside it, but never onto a tool result, so a tool call stays with its results.
    """
    if len(messages) < 2:
        return None
    kept = [0.0] * (len(messages) + 1)
    for index in range(len(messages) - 1, -1, -1):
        kept[index] = kept[index + 1] + budget.tokens(messages[index])
    candidates = range(1, len(messages))
    turn_starts = [i for i in candidates if messages[i].role == "user" and kept[i] <= budget.keep_tokens]
    if turn_starts:
        return turn_starts[0]
    safe = [i for i in candidates if messages[i].role != "tool"]
    fitting = [i for i in safe if kept[i] <= budget.keep_tokens]
    if fitting:
        return fitting[0]
    return safe[-1] if safe else None


def transcript(messages: Sequence[ChatMessage], max_chars: int) -> str:
    """The older messages as plain text; long ones are cut in the middle so the whole fits `max_chars`."""
    per_message = max(MIN_MESSAGE_CHARS, max_chars // max(1, len(messages)))
    total = sum(message_chars(m) for m in messages)
    lines = [_line(m, per_message if total > max_chars else None) for m in messages]
    return "\n\n".join(line for line in lines if line)


def _cut(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]} [...] {text[-half:]}"


def _line(message: ChatMessage, limit: int | None) -> str:
    text = _cut((message.content or "").strip(), limit)
    if message.is_summary:
        return f"Summary of what came before:\n{text.removeprefix(SUMMARY_PREFIX.strip()).strip()}"
    if message.role == "tool":
        return f"Tool result ({message.name or 'tool'}): {text}"
    if message.role == "assistant" and message.tool_calls:
        calls = ", ".join(f"{c.name}({_cut(str(c.arguments), limit)})" for c in message.tool_calls)
        return f"Assistant: {text}\nAssistant called: {calls}" if text else f"Assistant called: {calls}"
    if not text:
        return ""
    return f"{message.role.capitalize()}: {text}"


def summary_request(older: Sequence[ChatMessage], budget: Budget) -> list[ChatMessage]:
    words = max(40, int(budget.summary_tokens * 0.75))
    return [
        ChatMessage(role="system", content=SUMMARY_INSTRUCTIONS.format(words=words)),
        ChatMessage(role="user", content="Transcript:\n\n" + transcript(older, budget.transcript_chars)),
    ]


def summary_message(summary: str) -> ChatMessage:
    """The message that stands for the older context from now on."""
    return ChatMessage(role="system", content=SUMMARY_PREFIX + summary, is_summary=True, in_display=False)


def marker_message(summarized: int) -> ChatMessage:
    """The display history's note that compression ran; the model never sees it."""
    text = f"Context compressed: {summarized} earlier messages were summarized to stay within the model's context."
    return ChatMessage(role="system", content=text, is_compression=True, in_context=False)


async def compress_context(
    stored: Sequence[ChatMessage],
    *,
    sent: Sequence[ChatMessage],
    context_tokens: int,
    max_context: int,
    agent: AgentSpec,
    llm: LLM,
    stop: StopSignal,
) -> AsyncIterator[Compress | Emit]:
    """Compress `stored` (the stored context after the final answer) if it is near full; yields nothing if not.

    `sent` is everything the last model call counted (system prompt included), to measure tokens per character.
    """
    if not needs_compression(context_tokens, max_context):
        return
    budget = measure(sent, context_tokens, max_context)
    split = choose_split(stored, budget)
    if split is None:
        return
    older = stored[:split]
    try:
        summary = await _summary(older, budget, agent=agent, llm=llm, stop=stop)
    except (LLMError, Stopped) as exc:
        # The answer is already stored and sent: a failed summary only means the context stays as it was.
        logger.warning("context compression skipped: %s", exc or type(exc).__name__)
        return
    if summary is None:
        logger.warning("context compression skipped: the summary was cut off twice at its token limit")
        return
    if not summary:
        logger.warning("context compression skipped: the model returned an empty summary")
        return
    keep = len(stored) - split
    yield Compress(keep_recent=keep, summary=summary_message(summary), marker=marker_message(split))
    yield Emit(events.context_compressed(len(stored), keep + 1, summary))


async def _summary(older: list[ChatMessage], budget, *, agent: AgentSpec, llm: LLM, stop: StopSignal) -> str | None:
    """The summary text, or None when the model cut it off even with twice the room (never stored as whole)."""
    limit = budget.summary_tokens * 2
    for _attempt in range(2):
        options = {**agent.options, "num_predict": limit}
        answer = await complete_unless_stopped(
            llm,
            stop,
            model=agent.model,
            messages=summary_request(older, budget),
            options=options,
            think=agent.think_in_side_calls,
        )
        if not answer.truncated:
            return answer.text.strip()
        limit *= 2
    return None
