"""Steps the browser tests share: open the app, make a session, send a message, script the fake."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

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


# --- signing in (auth mode `oauth`) ----------------------------------------------------------------------
@dataclass(frozen=True)
class Account:
    username: str
    password: str
    email: str
    display_name: str
    sub: str


def new_account(oauth_server, display_name: str = "Ada Lovelace") -> Account:
    """A fresh account at the test sign-in server (usernames are unique for the whole test session)."""
    suffix = uuid.uuid4().hex[:10]
    username, password, email = f"web-{suffix}", f"pw-{suffix}-secret", f"web-{suffix}@example.test"
    sub = oauth_server.create_account(username=username, password=password, email=email, display_name=display_name)
    return Account(username=username, password=password, email=email, display_name=display_name, sub=sub)


def sign_in_at_provider(page: Page, account: Account, oauth_server, start: Callable[[], None]) -> None:
    """`start()` takes Navi's Sign in link (a click, Enter); then fill the provider's form if it asks (it does not
    when the browser is signed in there already) and wait to be back in Navi, signed in and started."""
    # Server-side redirects all the way: the navigation ends on the provider's form or back at Navi.
    with page.expect_navigation():
        start()
    if page.url.startswith(f"{oauth_server.url}/accounts/login/"):
        page.locator("input[name=username]").fill(account.username)
        page.locator("input[name=password]").fill(account.password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
    assert page.url.startswith(f"{page.navi_base}/") and not urlsplit(page.url).path.startswith("/auth/"), page.url
    expect(page.locator("#app")).to_have_attribute("data-ready", "true")


def sign_in(page: Page, account: Account, oauth_server) -> None:
    """From nowhere to signed in: open Navi, take its sign-in link, sign in at the provider."""
    page.goto(f"{page.navi_base}/")
    sign_in_at_provider(page, account, oauth_server, start=page.locator("#sign-in-button").click)
