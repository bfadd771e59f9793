"""The sessions sidebar: new session with a profile, order, pin, delete, search, names, profile indicator."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.client import new_session, rest
from tests.web.pages import open_app, open_new_session, send, wait_idle

NAMING = "You name conversations"


def session_with_message(base: str, text: str, profile_id: str = "secretary") -> str:
    sid = new_session(base, profile_id)
    with rest(base) as api:
        assert api.post(f"/sessions/{sid}/messages", json={"content": text}).status_code == 200
    return sid


def sidebar_titles(page) -> list[str]:
    return page.locator("#session-list .session-name").all_inner_texts()


def test_a_new_session_starts_with_the_chosen_profile(page, live):
    open_app(page)
    page.locator("#new-session").click()
    dialog = page.locator("#new-session-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".profile-option")).not_to_have_count(0)
    expect(dialog).to_contain_text("Personal Secretary")
    dialog.get_by_text("Web Tester").click()
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"#/sessions/[\w-]+$"))
    sid = page.url.rsplit("/", 1)[1]
    expect(page.locator("#profile-badge")).to_have_text("Web Tester")
    current = page.locator("#session-list .session.current")
    expect(current).to_have_attribute("data-id", sid)
    expect(current).to_contain_text("New session")
    with rest(live.url) as api:
        assert api.get(f"/sessions/{sid}").json()["profile_id"] == "web"


def test_sessions_are_listed_pinned_first_then_by_activity(page, live):
    older = session_with_message(live.url, "apples from the market")
    session_with_message(live.url, "bananas on the counter")
    open_app(page)
    titles = sidebar_titles(page)
    assert titles.index("Echo: bananas on the counter") < titles.index("Echo: apples from the market")
    newest = page.locator("#session-list .session", has_text="Echo: bananas on the counter")
    expect(newest.locator("time")).to_have_text(
        "just now"
    )  # relative times (pinned sessions of other tests come first)
    three_hours_ago = page.evaluate(
        "async () => (await import('/static/js/format.js')).relativeTime(new Date(Date.now() - 3 * 3600e3).toISOString())"
    )
    assert "3" in three_hours_ago and "ago" in three_hours_ago, three_hours_ago

    page.get_by_role("button", name="Pin Echo: apples from the market").click()
    expect(page.locator("#session-list .session").first).to_have_attribute("data-id", older)
    expect(page.locator("#session-list .session").first).to_have_class("session pinned")
    with rest(live.url) as api:
        pinned = {s["session_id"]: s["pinned"] for s in api.get("/sessions").json()}
    assert pinned[older] is True
    # It stays first after a reload (the server keeps it), until unpinned.
    page.reload()
    expect(page.locator("#session-list .session").first).to_have_attribute("data-id", older)
    page.get_by_role("button", name="Unpin Echo: apples from the market").click()
    expect(page.locator(f'#session-list .session[data-id="{older}"]')).to_have_class("session")
    titles = sidebar_titles(page)
    assert titles.index("Echo: bananas on the counter") < titles.index("Echo: apples from the market")


def test_search_filters_the_sessions(page, live):
    session_with_message(live.url, "cherries in june")
    session_with_message(live.url, "dates in december")
    open_app(page)
    page.get_by_placeholder("Search sessions").fill("cherr")
    expect(page.locator("#session-list .session")).to_have_count(1)
    expect(page.locator("#session-list .session-name")).to_have_text("Echo: cherries in june")
    page.get_by_placeholder("Search sessions").fill("no such thing anywhere")
    expect(page.locator("#session-list .session")).to_have_count(0)
    expect(page.locator("#session-empty")).to_have_text("No session matches.")
    page.get_by_placeholder("Search sessions").fill("")
    expect(page.locator("#session-list .session")).not_to_have_count(0)


def test_delete_asks_first_and_removes_the_session(page, live):
    sid = session_with_message(live.url, "elderberries to delete")
    open_app(page, sid)
    item = page.locator(f'#session-list .session[data-id="{sid}"]')
    item.get_by_role("button", name="Delete Echo: elderberries to delete").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("elderberries")
    dialog.get_by_role("button", name="Cancel").click()
    expect(item).to_have_count(1)

    item.get_by_role("button", name="Delete Echo: elderberries to delete").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(item).to_have_count(0)
    expect(page.locator("#welcome")).to_be_visible()  # it was the open session
    with rest(live.url) as api:
        assert api.get(f"/sessions/{sid}").status_code == 404


def test_a_session_is_named_after_its_first_exchange(page, live, fake_ollama_server):
    fake_ollama_server.add_rule(NAMING, [{"content": "Figs and their seasons"}], where="system")
    sid = open_new_session(page, live.url)
    expect(page.locator(f'#session-list .session[data-id="{sid}"] .session-name')).to_have_text("New session")
    send(page, "when are figs in season?")
    wait_idle(page)
    expect(page.locator(f'#session-list .session[data-id="{sid}"] .session-name')).to_have_text(
        "Figs and their seasons"
    )
    expect(page.locator("#session-title")).to_have_text("Figs and their seasons")


def test_the_profile_indicator_follows_a_profile_switch(page, live, fake_ollama_server):
    fake_ollama_server.add_rule(
        "SWITCH",
        [
            {"tool_calls": [{"name": "switch_profile", "arguments": {"profile_id": "secretary"}}]},
            {"content": "Switched."},
        ],
    )
    open_new_session(page, live.url, "web")
    expect(page.locator("#profile-badge")).to_have_text("Web Tester")
    send(page, "SWITCH to the secretary")
    wait_idle(page)
    expect(page.locator("#profile-badge")).to_have_text("Personal Secretary")
    expect(page.locator(".notice.profile")).to_contain_text("Personal Secretary")
    # The stored session says so too.
    page.reload()
    expect(page.locator("#profile-badge")).to_have_text("Personal Secretary")
