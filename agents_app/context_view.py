"""What the model sees for a session: the system prompt the runner would build, then the stored context."""

from __future__ import annotations

from agents_app.conversation import chat_message
from agents_app.engine.loop import system_message
from agents_app.run_execution import build_context_input
from sessions_app.presenters import message_dict
from sessions_app.selectors import session_context_messages


def context_for_session(session) -> list[dict]:
    messages = list(session_context_messages(session=session))
    run_input = build_context_input(session, [chat_message(m) for m in messages])
    system = system_message(run_input) if run_input is not None else None
    head = [{"role": "system", "content": system.content}] if system else []
    return head + [message_dict(m) for m in messages]
