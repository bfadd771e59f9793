"""A phone-sized screen, the keyboard alone, and dark mode."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.client import new_session
from tests.web.pages import answers, open_app, script, send, wait_idle

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def luminance(css_color: str) -> float:
    r, g, b = (int(part) for part in css_color[css_color.index("(") + 1 : css_color.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("context_options", [PHONE], ids=["phone"])
def test_on_a_phone_the_sidebar_collapses_and_the_chat_fits(page, live, context_options):
    sid = new_session(live.url)
    open_app(page)
    sidebar = page.locator("#sidebar")
    menu = page.get_by_role("button", name="Show sessions")
    expect(menu).to_be_visible()
    expect(sidebar).not_to_be_in_viewport()

    menu.click()
    expect(sidebar).to_be_in_viewport()
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.locator(f'#session-list .session[data-id="{sid}"] .session-open').click()
    expect(sidebar).not_to_be_in_viewport()
    expect(page.locator("#profile-badge")).to_have_text("Personal Secretary")

    send(
        page,
        "Hi from a phone "
        + script({"content": "A reply with a long unbroken word " + "x" * 120 + "\n\n```\n" + "code " * 40 + "\n```"}),
    )
    wait_idle(page)
    expect(answers(page).first).to_contain_text("A reply")
    # Nothing pushes the page sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = page.locator("#composer-input").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    # Escape closes the opened sidebar.
    menu.click()
    expect(sidebar).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(sidebar).not_to_be_in_viewport()


def test_everything_works_from_the_keyboard(page, live):
    open_app(page)
    page.locator("body").press("Tab")  # the skip link comes first
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#new-session")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.locator("#new-session-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("input[type=radio]").first).to_be_focused()
    page.keyboard.press("ArrowDown")  # the second profile
    second = dialog.locator(".profile-option").nth(1).locator("strong").inner_text()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#profile-badge")).to_have_text(second)

    # Focus lands in the message box; Enter sends.
    expect(page.locator("#composer-input")).to_be_focused()
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(answers(page).first).to_have_text("Echo: typed without a mouse")

    # Ctrl+K jumps to the session search; arrows move through sessions; Enter opens one.
    page.keyboard.press("Control+k")
    expect(page.locator("#session-search")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#session-list .session-open").first).to_be_focused()
    # Tool cards and reasoning open from the keyboard too (they are <details>).
    page.locator("#composer-input").focus()
    send(
        page,
        "tool " + script({"tool_calls": [{"name": "todo", "arguments": {"action": "list"}}]}, {"content": "Listed."}),
    )
    wait_idle(page)
    page.locator(".card.tool summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".card.tool")).to_have_attribute("open", "")


@pytest.mark.parametrize(
    "context_options",
    [
        {"viewport": {"width": 1280, "height": 860}, "color_scheme": "dark"},
        {"viewport": {"width": 1280, "height": 860}, "color_scheme": "light"},
    ],
    ids=["dark", "light"],
)
def test_light_and_dark_mode_follow_the_system(page, live, context_options):
    sid = new_session(live.url)
    open_app(page, sid)
    send(page, "Colours " + script({"thinking": "Hmm.", "content": "Some **bold** text and `code`."}))
    wait_idle(page)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.querySelector('.answer')).color")
    if context_options["color_scheme"] == "dark":
        assert luminance(background) < 0.2 and luminance(text) > 0.7
    else:
        assert luminance(background) > 0.8 and luminance(text) < 0.3
