"""Signing in and out in the browser (auth mode `oauth`, the real test sign-in server), and the mobile bridge page.

Every sign-in goes the whole way a person's does: Navi's sign-in screen, the provider's login form, back to Navi.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.web.pages import (
    answers,
    new_account,
    open_app,
    send,
    sign_in,
    sign_in_at_provider,
    wait_idle,
)
from tests.web.test_layout import PHONE, luminance

# Typed, never sent: comes back after the next sign-in exactly as text (an onerror that ran would set the flag).
DRAFT = 'Half a thought <img src=x onerror="window.pwned=1"> & more\non a second line'


def new_session_from_the_ui(page) -> str:
    page.locator("#new-session").click()
    page.locator("#new-session-create").click()
    page.wait_for_url(lambda url: "#/sessions/" in url)
    expect(page.locator(".loading")).to_have_count(0)
    expect(page.locator("#composer-input")).to_be_enabled()
    return page.url.rsplit("/", 1)[-1]


def me_status(page) -> int:
    return page.request.get(f"{page.navi_base}/auth/me").status


def test_signing_in_leads_back_to_navi_with_the_user_in_the_sidebar(oauth_page, oauth_navi):
    page = oauth_page
    # Markup in a display name is text, like everything else a user or the provider supplies.
    account = new_account(oauth_navi.oauth, display_name="Ada <b>Lovelace</b>")
    page.goto("/")

    screen = page.locator("#sign-in")
    expect(screen).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    expect(page.locator("#sign-in-message")).to_have_text("Sign in to talk to your agents.")
    button = page.get_by_role("link", name="Sign in")
    expect(button).to_have_attribute("href", "/auth/login")
    expect(button).to_be_focused()  # Enter signs in straight away
    assert me_status(page) == 401

    sign_in_at_provider(page, account, oauth_navi.oauth, start=button.click)

    expect(screen).to_be_hidden()
    user = page.locator("#user-name")
    expect(user).to_have_text("Ada <b>Lovelace</b>")
    expect(user).to_have_attribute("title", account.email)
    expect(user.locator("b")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    me = page.request.get(f"{oauth_navi.url}/auth/me").json()
    assert me["email"] == account.email

    new_session_from_the_ui(page)
    send(page, "Hello after signing in")
    wait_idle(page)
    expect(answers(page).first).to_have_text("Echo: Hello after signing in")


def test_sign_out_returns_to_the_sign_in_screen(oauth_page, oauth_navi):
    page = oauth_page
    account = new_account(oauth_navi.oauth)
    sign_in(page, account, oauth_navi.oauth)
    new_session_from_the_ui(page)
    assert me_status(page) == 200

    page.get_by_role("button", name="Sign out").click()

    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#sign-in-message")).to_have_text("You are signed out.")
    expect(page.locator("#app")).to_be_hidden()
    expect(page.locator("#sign-in-button")).to_be_focused()
    # Nothing of the signed-out user stays on the page behind the screen.
    expect(page.locator("#session-list .session")).to_have_count(0)
    assert "navi_auth_session" not in {cookie["name"] for cookie in page.context.cookies()}
    assert me_status(page) == 401
    # A reload does not bring the app back either.
    page.reload()
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#sign-in-message")).to_have_text("Sign in to talk to your agents.")
    expect(page.locator("#app")).to_be_hidden()


@pytest.mark.parametrize(
    "how",
    ["logout elsewhere closes the socket", "cookie gone, then a REST call"],
    ids=["socket-4001", "rest-401"],
)
def test_a_sign_in_that_ends_mid_use_keeps_the_draft(oauth_page, oauth_navi, how):
    page = oauth_page
    account = new_account(oauth_navi.oauth)
    sign_in(page, account, oauth_navi.oauth)
    session_id = new_session_from_the_ui(page)
    page.locator("#composer-input").fill(DRAFT)

    if how.startswith("logout"):
        # Another tab signs out with the same cookie: the server ends this tab's socket with 4001.
        assert page.context.request.post(f"{oauth_navi.url}/auth/logout").json() == {"ok": True}
    else:
        # The browser lost the cookie (the server's session lives on, so the socket stays open): the next REST
        # call, here creating a session, answers 401.
        page.context.clear_cookies(name="navi_auth_session")
        page.locator("#new-session").click()
        page.locator("#new-session-create").click()

    screen = page.locator("#sign-in")
    expect(screen).to_be_visible()
    expect(page.locator("#sign-in-message")).to_contain_text("Your sign-in has ended")
    expect(page.locator("#sign-in-message")).to_contain_text("your unsent message is kept")
    expect(page.locator("#app")).to_be_hidden()
    expect(page.locator("dialog[open]")).to_have_count(0)

    sign_in_at_provider(page, account, oauth_navi.oauth, start=page.locator("#sign-in-button").click)

    expect(screen).to_be_hidden()
    expect(page).to_have_url(f"{oauth_navi.url}/#/sessions/{session_id}")
    expect(page.locator("#composer-input")).to_have_value(DRAFT)
    expect(page.locator("#composer-input")).to_be_enabled()
    assert page.evaluate("window.pwned") is None
    # Kept once: a reload afterwards starts empty.
    assert page.evaluate("sessionStorage.getItem('navi.draft')") is None
    # And the session goes on from there.
    page.locator("#composer-input").press("Enter")
    wait_idle(page)
    expect(answers(page).first).to_contain_text("Echo: Half a thought")


def test_a_draft_is_not_handed_to_someone_else_signing_in_at_the_tab(oauth_page, oauth_navi):
    page = oauth_page
    first, second = new_account(oauth_navi.oauth), new_account(oauth_navi.oauth, display_name="Grace Hopper")
    sign_in(page, first, oauth_navi.oauth)
    new_session_from_the_ui(page)
    page.locator("#composer-input").fill("private to the first user")
    # The sign-in ends, and someone else signs in at this tab (cookies of both servers gone: a fresh login form).
    page.context.clear_cookies()
    page.locator("#new-session").click()
    page.locator("#new-session-create").click()
    expect(page.locator("#sign-in")).to_be_visible()

    sign_in_at_provider(page, second, oauth_navi.oauth, start=page.locator("#sign-in-button").click)

    expect(page.locator("#user-name")).to_have_text("Grace Hopper")
    expect(page.locator("#composer-input")).to_have_value("")
    expect(page.locator("#welcome")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('navi.draft')") is None


@pytest.mark.parametrize("context_options", [{**PHONE, "color_scheme": "dark"}], ids=["phone-dark"])
def test_the_sign_in_screen_fits_a_phone_in_dark_mode_and_works_from_the_keyboard(
    oauth_page, oauth_navi, context_options
):
    page = oauth_page
    account = new_account(oauth_navi.oauth)
    page.goto("/")
    card = page.locator("#sign-in .card")
    expect(card).to_be_visible()
    expect(card).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert luminance(page.evaluate("getComputedStyle(document.body).backgroundColor")) < 0.2
    assert luminance(card.evaluate("el => getComputedStyle(el).backgroundColor")) < 0.2
    expect(page.locator("#sign-in-button")).to_be_focused()

    sign_in_at_provider(page, account, oauth_navi.oauth, start=lambda: page.keyboard.press("Enter"))
    # Signed in on a phone: the name and Sign out are in the sidebar's drawer.
    page.get_by_role("button", name="Show sessions").click()
    expect(page.locator("#user-name")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()


def test_the_mobile_bridge_page_hands_the_session_to_the_app(oauth_page, oauth_navi):
    page = oauth_page
    sid = secrets.token_urlsafe(32)
    assert len(sid) == 43
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    # The page tries to open the intent URL at once; Chromium has no app for it, aborts that navigation (which
    # Playwright then waits on forever: hence no "load" wait) and stays on the page.
    page.goto(f"/auth/mobile-done?sid={sid}", wait_until="domcontentloaded")
    page.wait_for_function("document.readyState === 'complete'")
    for _ in range(50):  # the attempt itself, seen as a navigation request
        if any(url.startswith("intent:") for url in requested):
            break
        page.wait_for_timeout(100)
    assert any(url.startswith("intent://auth?sid=") for url in requested), requested

    button = page.locator("#open-app")
    expect(button).to_be_visible()
    expect(button).to_have_text("Open the Navi app")
    expect(button).to_have_attribute("href", f"intent://auth?sid={sid}#Intent;scheme=navi;package=app.navi;end")
    expect(page.locator("#open-app-scheme")).to_have_attribute("href", f"navi://auth?sid={sid}")
    # Only Navi's own files were loaded (the app's schemes are handed to the system, never fetched).
    fetched = [url for url in requested if url.startswith(("http:", "https:", "ws:", "wss:"))]
    assert fetched and all(url.startswith(f"{oauth_navi.url}/") for url in fetched), requested
    assert all(url.startswith(("http:", "intent:", "navi:")) for url in requested), requested

    refused = page.goto("/auth/mobile-done?sid=<script>")
    assert refused.status == 400
    expect(page.locator("#card-title")).to_have_text("Sign-in failed")
    assert "<script>" not in refused.text()


def test_local_mode_has_no_sign_in_screen_and_no_sign_out(page, live):
    open_app(page)
    expect(page.locator("body")).to_have_attribute("data-auth-mode", "local")
    expect(page.locator("#sign-in")).to_be_hidden()
    expect(page.locator("#sidebar-user")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.locator("#new-session")).to_be_visible()
    assert page.request.get(f"{live.url}/auth/me").status == 200
