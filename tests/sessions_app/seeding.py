"""Conversations written straight into a running e2e server's database, through Navi's own models.

For the session list and history at scale (bench.lists): thousands of sessions of the local owner, each with
its messages, in a few bulk inserts rather than one request per message. It runs as a process of its own with
the server's environment, as tests.admin_app.seeding does (`seed(navi, module=MODULE, ...)`):

    python -m tests.sessions_app.seeding '{"action": "conversations", "sessions": 10000, "messages": 20}'

The sessions' list fields (message_count, preview) are written with them, as message_add keeps them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MODULE = "tests.sessions_app.seeding"
BASE_TIME = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
ANSWER = "Here is what I found about it. " * 20  # about 600 characters, as a model's answer often is
TOOL_RESULT = '{"results": [' + ", ".join(f'{{"title": "Result {i}", "snippet": "..."}}' for i in range(8)) + "]}"


def _turn(index: int) -> dict:
    """Message `index` of a conversation: a question, a tool call, its result, an answer; and again."""
    kind = index % 4
    if kind == 0:
        return {"role": "user", "content": f"Question {index}: what about item {index}?"}
    if kind == 1:
        call = {"id": f"call-{index}", "function": {"name": "web_search", "arguments": {"query": f"item {index}"}}}
        return {"role": "assistant", "content": None, "tool_calls": [call], "thinking": "I should look it up."}
    if kind == 2:
        return {"role": "tool", "content": TOOL_RESULT, "tool_call_id": f"call-{index}", "name": "web_search"}
    return {"role": "assistant", "content": f"{ANSWER}(answer {index})", "elapsed_seconds": 1.5, "token_count": 120}


def _conversation(session, count: int) -> list:
    from sessions_app.models import Message

    return [Message(session=session, **_turn(i)) for i in range(count)]


def _preview(messages: list) -> str:
    for message in reversed(messages):
        if message.in_display and message.content and not message.is_compression:
            return message.content[-60:]
    return ""


def _conversations(*, sessions: int, messages: int, long_messages: int = 0) -> dict:
    """`sessions` sessions of the owner with `messages` messages each, every 25th pinned; then, when
    `long_messages`, one more (the most recently active) with that many."""
    from django.db import connection, transaction

    from accounts_app.services import user_get_or_create_owner
    from sessions_app.models import Message, Session

    owner = user_get_or_create_owner()
    sizes = [messages] * sessions + ([long_messages] if long_messages else [])
    with transaction.atomic():
        rows = [
            Session(
                user=owner,
                profile_id="secretary",
                name=f"Conversation {i}",
                pinned=i % 25 == 0,
                last_active=BASE_TIME + timedelta(seconds=i),
            )
            for i in range(len(sizes))
        ]
        written = []
        for session, size in zip(rows, sizes, strict=True):
            conversation = _conversation(session, size)
            session.message_count = len(conversation)
            session.preview = _preview(conversation)
            written.extend(conversation)
        Session.objects.bulk_create(rows, batch_size=1000)
        Message.objects.bulk_create(written, batch_size=2000)
    if connection.vendor == "postgresql":  # the statistics autovacuum gathers after a bulk load, at once
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"sessions": [str(s.id) for s in rows]}


ACTIONS = {"conversations": _conversations}


def main() -> None:
    from tests.admin_app.seeding import run_action

    run_action(ACTIONS)


if __name__ == "__main__":
    main()
