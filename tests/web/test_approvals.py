"""Approval cards: one call allowed from the keyboard, the next denied with a click, each card then saying which,
and the tool cards finishing as done and failed; the profile's tools in the new-session dialog."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.pages import open_app, open_new_session, script, send, wait_idle


def todo(text: str) -> dict:
    return {"name": "todo", "arguments": {"action": "add", "text": text}}


def test_one_call_is_allowed_and_another_denied_from_the_approval_card(page, live):
    open_new_session(page, live.url, "approver")
    send(page, "Two notes " + script({"tool_calls": [todo("water the plants"), todo("sell the car")]},
                                     {"content": "One of two."}))  # fmt: skip
    first = page.locator(".card.approval").nth(0)
    expect(first).to_contain_text("Allow this call of todo?")
    expect(first.locator("pre.args")).to_contain_text("water the plants")
    allow = first.get_by_role("button", name="Allow")
    expect(allow).to_be_focused()  # the request takes focus: Enter allows
    page.keyboard.press("Enter")
    expect(first.locator(".approval-state")).to_have_text("Allowed.")
    expect(first.get_by_role("button")).to_have_count(0)

    second = page.locator(".card.approval").nth(1)
    expect(second.locator("pre.args")).to_contain_text("sell the car")
    second.get_by_role("button", name="Deny").click()
    expect(second.locator(".approval-state")).to_have_text("Denied.")
    wait_idle(page)
    cards = page.locator(".card.tool")
    expect(cards.nth(0)).to_have_class("card tool success")
    expect(cards.nth(1)).to_have_class("card tool failure")
    cards.nth(1).locator("summary").click()
    expect(cards.nth(1).locator(".result-text")).to_contain_text("denied by the user")
    expect(page.locator(".turn .answer").last).to_have_text("One of two.")


def test_the_new_session_dialog_lists_each_profiles_tools(page, live):
    open_app(page)
    page.locator("#new-session").click()
    option = page.locator(".profile-option:has(input[value=approver])")
    expect(option.locator(".profile-tools li")).to_have_text(["todo", "spawn_agent"])
