"""The operators' pages in Chromium, signed in the whole way through the real sign-in server (auth mode `oauth`):
the Django admin console's session list and a session's page, and the API docs page with nothing from elsewhere."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.web.pages import Account, sign_in


def new_admin(oauth_server) -> Account:
    suffix = uuid.uuid4().hex[:10]
    username, password, email = f"op-{suffix}", f"pw-{suffix}-secret", f"op-{suffix}@example.test"
    sub = oauth_server.create_account(
        username=username, password=password, email=email, display_name="Grace Operator", role="admin"
    )
    return Account(username=username, password=password, email=email, display_name="Grace Operator", sub=sub)


def test_an_oauth_admin_opens_the_console_session_list_and_a_sessions_page(oauth_page, oauth_navi):
    page = oauth_page
    sign_in(page, new_admin(oauth_navi.oauth), oauth_navi.oauth)
    api = page.request  # the browser's own cookie: the admin's Navi login
    sid = api.post("/sessions", data={"profile_id": "secretary"}).json()["session_id"]
    for text in ("First words for the console", "Second words for the console"):
        assert api.post(f"/sessions/{sid}/messages", data={"content": text}).ok

    page.goto("/django-admin/sessions_app/session/")
    expect(page).to_have_title(re.compile("Select session to view"))
    expect(page.locator("#site-name")).to_have_text("Navi administration")
    row = page.locator("#result_list tbody tr", has=page.locator(f'a[href*="{sid}"]'))
    expect(row).to_have_count(1)
    expect(row.locator(".field-profile_id")).to_have_text("secretary")

    row.locator(f'a[href*="{sid}"]').first.click()
    expect(page).to_have_title(re.compile("View session"))
    messages = page.locator(".inline-related tbody tr.has_original, .inline-related tbody tr.form-row")
    contents = page.locator(".inline-related td.field-text")
    expect(contents).to_have_count(4)
    expect(contents.first).to_have_text("Echo: Second words for the console")  # newest first
    expect(contents.last).to_have_text("First words for the console")
    assert messages.count() >= 4
    expect(page.get_by_role("link", name="all of them")).to_be_visible()
    expect(page.locator("input[name=_save]")).to_have_count(0)  # read-only
    expect(page.get_by_role("link", name="Delete")).to_be_visible()


def test_the_api_docs_page_loads_nothing_from_elsewhere(oauth_page, oauth_navi):
    page = oauth_page
    sign_in(page, new_admin(oauth_navi.oauth), oauth_navi.oauth)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Navi API")
    expect(page.locator('.opblock-summary-path[data-path="/admin/sessions"]')).to_be_visible()
    page.locator('.opblock-summary-path[data-path="/admin/sessions"]').click()
    expect(page.locator(".parameters").get_by_text("sort_by")).to_be_visible()
    assert requested, "the page made no requests"
    foreign = [url for url in requested if not url.startswith(page.navi_base + "/") and not url.startswith("data:")]
    assert foreign == []
    assert any(url.endswith("/api/schema") for url in requested)
