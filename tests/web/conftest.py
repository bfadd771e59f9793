"""Browser tests: Debian's Chromium driven by Playwright against the real servers (`live`) and the fake Ollama.

Each test gets a fresh browser context; its last screen is saved to tests/web/screenshots/<test name>.png, and a
JavaScript error on the page fails the test.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("NAVI_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 860}

# The suite shares a small machine with the servers under test: give assertions room before they fail.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def context_options():
    """Override in a test module (or parametrize) for another viewport or colour scheme."""
    return {"viewport": DESKTOP}


@contextmanager
def browser_page(browser, base_url, context_options, request):
    """A page in a fresh context on `base_url`; screenshot and JavaScript-error check at the end."""
    context = browser.new_context(base_url=base_url, **context_options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.navi_base = base_url
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    yield page
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"))
    finally:
        context.close()
    assert page.js_errors == [], f"JavaScript errors on the page: {page.js_errors}"


@pytest.fixture
def page(browser, live, context_options, request):
    with browser_page(browser, live.url, context_options, request) as page:
        yield page


@pytest.fixture
def oauth_page(browser, oauth_navi, fake_ollama_server, context_options, request):
    """A page on the Navi of `oauth_navi` (auth mode `oauth`, its own sign-in server), signed in nowhere yet."""
    fake_ollama_server.reset()
    with browser_page(browser, oauth_navi.url, context_options, request) as page:
        yield page
