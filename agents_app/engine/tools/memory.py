"""`memory`: facts about the user the agent keeps across sessions, in the host's MemoryStore.

The same facts, ranked by how well they match the new message, are offered to the model at the start of each
run within a bounded budget (`memory_prompt`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from agents_app.engine.tools.base import Tool, ToolContext, ToolError

DEFAULT_CATEGORY = "general"
DEFAULT_CONFIDENCE = 80
SOURCE = "conversation"
RECALL_LIMIT = 20
PROMPT_BUDGET_CHARS = 2000
PROMPT_MAX_FACTS = 40
_STOPWORDS = {"the", "and", "for", "you", "your", "are", "was", "what", "who", "how", "with", "that", "this", "have"}


@dataclass(frozen=True)
class MemoryEntry:
    id: str
    category: str
    key: str
    value: str
    source: str
    confidence: int
    updated_at: str = ""  # ISO time; newer facts win ties


class MemoryStore(Protocol):
    async def remember(
        self, user_id: str, *, category: str, key: str, value: str, source: str, confidence: int
    ) -> tuple[MemoryEntry, bool]: ...  # (the fact, whether it is new)
    async def facts(self, user_id: str) -> list[MemoryEntry]: ...
    async def forget(self, user_id: str, *, key: str, category: str | None) -> int: ...


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) > 2 and w not in _STOPWORDS}


def _score(entry: MemoryEntry, words: set[str]) -> int:
    return len(words & _words(f"{entry.category} {entry.key} {entry.value}"))


def rank(facts: list[MemoryEntry], query: str) -> list[MemoryEntry]:
    """Best match to `query` first, then the more certain, then the newer."""
    words = _words(query)
    by_recency = sorted(facts, key=lambda f: f.updated_at, reverse=True)
    return sorted(by_recency, key=lambda f: (_score(f, words), f.confidence), reverse=True)


def _line(entry: MemoryEntry) -> str:
    return f"- [{entry.category}] {entry.key}: {entry.value} (confidence {entry.confidence}%)"


def memory_prompt(facts: list[MemoryEntry], query: str, *, budget: int = PROMPT_BUDGET_CHARS) -> str | None:
    """System text with the facts most relevant to `query`, at most `budget` characters; None if no facts."""
    header = (
        "What you remember about the user from earlier conversations (use it when relevant; it may be out of date; "
        "keep it current with the memory tool):"
    )
    lines: list[str] = []
    used = len(header)
    for entry in rank(facts, query)[:PROMPT_MAX_FACTS]:
        line = _line(entry)
        if used + len(line) + 1 > budget:
            continue  # a shorter fact further down may still fit
        lines.append(line)
        used += len(line) + 1
    return "\n".join([header, *lines]) if lines else None


def _text(args: dict, name: str, *, required: bool = False, limit: int = 2000) -> str | None:
    value = args.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ToolError(f"this action needs a non-empty `{name}`")
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ToolError(f"`{name}` must be text")
    text = str(value).strip()
    if len(text) > limit:
        raise ToolError(f"`{name}` is longer than {limit} characters")
    return text


def _confidence(args: dict) -> int:
    value = args.get("confidence", DEFAULT_CONFIDENCE)
    if value is None:
        return DEFAULT_CONFIDENCE
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ToolError("`confidence` must be a number from 0 to 100")
    return int(value)


async def _remember(store: MemoryStore, args: dict, ctx: ToolContext) -> str:
    category = (_text(args, "category", limit=50) or DEFAULT_CATEGORY).lower()
    key = _text(args, "key", required=True, limit=200)
    value = _text(args, "value", required=True)
    entry, created = await store.remember(
        ctx.user_id, category=category, key=key, value=value, source=SOURCE, confidence=_confidence(args)
    )
    return f"{'Remembered' if created else 'Updated'} {_line(entry)[2:]}"


async def _recall(store: MemoryStore, args: dict, ctx: ToolContext) -> str:
    facts = await store.facts(ctx.user_id)
    category = _text(args, "category", limit=50)
    if category:
        facts = [f for f in facts if f.category == category.lower()]
    query = " ".join(filter(None, [_text(args, "query"), _text(args, "key")]))
    if query:
        words = _words(query)
        facts = [f for f in rank(facts, query) if _score(f, words) or query.lower() in f.key.lower()]
    if not facts:
        return "Nothing remembered" + (f" about {query!r}." if query else ".")
    shown = facts[:RECALL_LIMIT]
    more = f"\n({len(facts) - len(shown)} more; narrow the query)" if len(facts) > len(shown) else ""
    return "\n".join(_line(f) for f in shown) + more


async def _forget(store: MemoryStore, args: dict, ctx: ToolContext) -> str:
    key = _text(args, "key", required=True, limit=200)
    category = _text(args, "category", limit=50)
    removed = await store.forget(ctx.user_id, key=key, category=category.lower() if category else None)
    if not removed:
        raise ToolError(f"nothing is remembered under the key {key!r} (use action `recall` to see the keys)")
    return f"Forgot {removed} fact(s) under {key!r}."


_ACTIONS = {"remember": _remember, "recall": _recall, "forget": _forget}


async def run_memory(args: dict, ctx: ToolContext) -> str:
    action = _ACTIONS.get(args.get("action"))
    if action is None:
        raise ToolError(f"unknown action {args.get('action')!r}: use remember, recall or forget")
    return await action(ctx.ports.memory, args, ctx)


memory_tool = Tool(
    name="memory",
    description=(
        "Long-term memory about the user, kept across sessions. `remember` a fact (category, key, value, "
        "confidence 0-100; the same category and key replace the old value), `recall` facts matching a query, "
        "`forget` a fact by key."
    ),
    parameters={
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": ["remember", "recall", "forget"], "description": "What to do"},
            "category": {"type": "string", "description": "e.g. profile, preferences, work, people (default general)"},
            "key": {"type": "string", "description": "Short name of the fact, e.g. name, city, favourite_food"},
            "value": {"type": "string", "description": "The fact itself (for remember)"},
            "query": {"type": "string", "description": "Words to look for (for recall)"},
            "confidence": {"type": "integer", "minimum": 0, "maximum": 100, "description": "How sure, 0-100"},
        },
        "required": ["action"],
    },
    run=run_memory,
    timeout=15.0,
)
