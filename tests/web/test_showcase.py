"""A whole conversation mid-stream: every kind of card at once (its screenshot is the one in the README)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.client import new_session, rest
from tests.web.conftest import SCREENSHOTS
from tests.web.pages import open_app, open_new_session, send, wait_idle

LIST_ANSWER = (
    "Added **oat milk**. Your list now:\n\n| # | item | done |\n|---|---|---|\n| 1 | oat milk | no |\n\nAnything else?"
)
DINNER_ANSWER = (
    "Here is a plan for **Friday**:\n\n"
    "1. Salmon with lemon and dill\n2. Rice and green beans\n3. Apple crumble\n\n"
    "The ingredients are on your list. To scale the recipe:\n\n"
    "```python\nportions = 4\nsalmon_grams = 150 * portions\n```\n\n"
    "Shall I set a reminder for the shopping?"
)


@pytest.fixture
def context_options():
    return {"viewport": {"width": 1280, "height": 1160}}


def script_the_conversation(fake) -> None:
    fake.add_rule("You name conversations", [{"content": "Shopping and Friday dinner"}], where="system")
    fake.add_rule(
        "shopping list",
        [
            {
                "thinking": "The user wants oat milk on the list.",
                "tool_calls": [{"name": "todo", "arguments": {"action": "add", "text": "oat milk"}}],
            },
            {"content": LIST_ANSWER, "prompt_eval_count": 9000, "eval_count": 600},
        ],
    )
    fake.add_rule(
        "Plan a Friday dinner",
        [
            {
                "thinking": "Salmon is quick; add it.",
                "tool_calls": [{"name": "todo", "arguments": {"action": "add", "text": "salmon"}}],
            },
            {"content": "Salmon, rice, green beans, apple crumble. Salmon is on the list."},
        ],
    )
    fake.add_rule(
        "Ask a helper",
        [
            {
                "thinking": "A sub-agent can plan the menu.",
                "tool_calls": [
                    {
                        "name": "spawn_agent",
                        "arguments": {"task": "Plan a Friday dinner for four and put the ingredients on the list"},
                    }
                ],
            },
            {
                "thinking": "Summarize the helper's plan.",
                "content": DINNER_ANSWER,
                "delay": 0.08,  # still streaming when the screenshot is taken, seconds after "Rice and green beans"
                "prompt_eval_count": 21000,
                "eval_count": 1400,
            },
        ],
    )


def earlier_session(base: str, fake, name: str, text: str, *, pinned: bool = False) -> None:
    """A finished session with a generated name, for the sidebar."""
    sid = new_session(base)
    fake.add_rule("You name conversations", [{"content": name}], where="system", times=1)
    with rest(base) as api:
        assert api.post(f"/sessions/{sid}/messages", json={"content": text}).status_code == 200
        assert api.post(f"/sessions/{sid}/generate-name").json()["name"] == name
        if pinned:
            assert api.patch(f"/sessions/{sid}/pin", json={"pinned": True}).status_code == 200


def test_a_conversation_mid_stream_shows_every_card(page, live, fake_ollama_server):
    earlier_session(live.url, fake_ollama_server, "Quarterly report outline", "outline the report", pinned=True)
    earlier_session(live.url, fake_ollama_server, "Weekend trip to Lisbon", "ideas for lisbon")
    script_the_conversation(fake_ollama_server)
    sid = open_new_session(page, live.url, "web")
    send(page, "What's on my shopping list? Add oat milk.")
    wait_idle(page)
    expect(page.locator("#session-title")).to_have_text("Shopping and Friday dinner")

    open_app(page, sid)  # the first exchange now comes from stored history
    send(page, "Ask a helper to plan dinner for Friday.")
    expect(page.locator(".turn").last.locator(".answer")).to_contain_text("Rice and green beans")
    expect(page.locator("#stop-button")).to_be_visible()
    turn = page.locator(".turn").last
    expect(turn.locator(".card.subagent")).to_have_class("card tool subagent success")
    turn.locator(".card.subagent > summary").click()
    expect(turn.locator(".subagent-events .card.tool .tool-name")).to_have_text("todo")
    expect(page.locator(".turn").first.locator("table")).to_be_visible()
    expect(page.locator("#context-gauge")).to_be_visible()
    page.evaluate("document.querySelector('#messages').scrollTop = 1e9")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "conversation.png"))
    wait_idle(page)
