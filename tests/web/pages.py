"""Steps the browser tests share: open the app, make a session, send a message, script the fake."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.client import new_session
from tests.fakes.fake_ollama import script  # noqa: F401  (the tests take it from here with the other steps)


def open_app(page: Page, session_id: str | None = None, base: str = "") -> None:
    """Load the page (a real load: going to the URL the page already shows only changes the fragment)."""
    page.goto("about:blank")
    page.goto(f"{base or page.navi_base}/" + (f"#/sessions/{session_id}" if session_id else ""))
    expect(page.locator("#app")).to_have_attribute("data-ready", "true")
    if session_id:
        # Loaded and connected: history rendered, input open (no run going).
        expect(page.locator(".loading")).to_have_count(0)


def open_new_session(page: Page, base: str, profile_id: str = "secretary") -> str:
    session_id = new_session(base, profile_id)
    open_app(page, session_id)
    expect(page.locator("#composer-input")).to_be_enabled()
    return session_id


def send(page: Page, text: str) -> None:
    box = page.locator("#composer-input")
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")


def answers(page: Page):
    return page.locator(".turn .answer")


def wait_idle(page: Page, timeout: float = 20_000) -> None:
    """The run is over: input open again, Stop gone."""
    expect(page.locator("#stop-button")).to_be_hidden(timeout=timeout)
    expect(page.locator("#composer-input")).to_be_enabled(timeout=timeout)
