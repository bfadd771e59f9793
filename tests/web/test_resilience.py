"""Stop, reloads and dropped connections mid-run, and errors shown in place."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.client import rest
from tests.web.pages import answers, open_app, open_new_session, script, send, wait_idle

# Counts, across every DOM change, how many answer turns the page showed at once and whether the streamed text
# ever shrank: a replay that flickers or doubles the answer shows up here.
WATCH_ANSWER = """() => {
  window.watch = {maxTurns: 0, maxAnswers: 0, shrank: false, last: 0, emptied: false};
  new MutationObserver(() => {
    const turns = document.querySelectorAll('#messages .turn').length;
    const answers = document.querySelectorAll('#messages .turn .answer');
    const text = [...answers].map(a => a.textContent).join('');
    window.watch.maxTurns = Math.max(window.watch.maxTurns, turns);
    window.watch.maxAnswers = Math.max(window.watch.maxAnswers, answers.length);
    if (text.length < window.watch.last) window.watch.shrank = true;
    if (window.watch.last > 0 && turns === 0) window.watch.emptied = true;
    window.watch.last = text.length;
  }).observe(document.querySelector('#messages'), {subtree: true, childList: true, characterData: true});
}"""

SLOW = {"delay": 0.1}


def words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def test_stop_ends_the_run_and_keeps_the_partial_answer(page, live):
    open_new_session(page, live.url)
    send(page, "Talk for long " + script({"content": words(200), **SLOW}))
    expect(answers(page).first).to_contain_text("w5")
    page.locator("#stop-button").click()
    wait_idle(page)
    expect(page.locator(".notice.stopped")).to_have_text("Stopped.")
    partial = answers(page).first.inner_text()
    assert partial.startswith("w0 w1") and "w199" not in partial
    expect(page.locator("#send-button")).to_be_disabled()  # empty box
    # The session is usable again.
    send(page, "again")
    wait_idle(page)
    expect(answers(page).last).to_have_text("Echo: again")


def test_reload_mid_stream_shows_the_whole_answer_once(page, live):
    sid = open_new_session(page, live.url)
    text = words(60)
    send(
        page,
        "Long answer "
        + script(
            {
                "thinking": "Considering.",
                "tool_calls": [{"name": "todo", "arguments": {"action": "add", "text": "tea"}}],
            },
            {"content": text, **SLOW},
        ),
    )
    expect(answers(page).first).to_contain_text("w10")

    # Reload on another front end where there is one: the replay comes from the shared run log.
    open_app(page, sid, base=live.other_url())
    page.evaluate(WATCH_ANSWER)
    # Right after the reload the answer so far is there (from the replay) and the run is still going.
    expect(answers(page).first).to_contain_text("w10")
    expect(page.locator("#composer-input")).to_be_disabled()
    expect(page.locator("#stop-button")).to_be_visible()
    wait_idle(page)

    expect(page.locator(".msg.user")).to_have_count(1)
    expect(page.locator(".turn")).to_have_count(1)
    expect(answers(page)).to_have_count(1)
    expect(answers(page).first).to_have_text(text)
    expect(page.locator(".card.tool")).to_have_count(1)
    expect(page.locator(".card.tool")).to_have_class("card tool success")
    expect(page.locator(".thinking")).to_have_count(1)
    watch = page.evaluate("window.watch")
    assert watch["maxTurns"] == 1 and watch["maxAnswers"] == 1, watch
    assert not watch["shrank"] and not watch["emptied"], watch


def test_reload_while_the_answer_streams_from_the_start(page, live):
    """A reload before any answer text: the replay brings the turn, the live events finish it."""
    sid = open_new_session(page, live.url)
    send(page, "Slow start " + script({"content": words(20), "first_delay": 1.5, **SLOW}))
    expect(page.locator("#stop-button")).to_be_visible()
    open_app(page, sid)
    expect(page.locator("#stop-button")).to_be_visible()
    wait_idle(page)
    expect(answers(page)).to_have_count(1)
    expect(answers(page).first).to_have_text(words(20))


def test_a_dropped_connection_reconnects_and_the_answer_stays_whole(page, live):
    open_new_session(page, live.url)
    text = words(60)
    send(page, "Long answer " + script({"content": text, **SLOW}))
    expect(answers(page).first).to_contain_text("w5")
    page.evaluate(WATCH_ANSWER)
    page.evaluate("window.navi.chat.socket.ws.close()")  # as if the network dropped it
    expect(page.locator("#connection")).not_to_be_empty()
    wait_idle(page)
    expect(page.locator("#connection")).to_be_empty()
    expect(answers(page)).to_have_count(1)
    expect(answers(page).first).to_have_text(text)
    watch = page.evaluate("window.watch")
    assert watch["maxTurns"] == 1 and watch["maxAnswers"] == 1 and not watch["shrank"], watch


def test_a_run_that_ends_while_disconnected_is_loaded_on_reconnect(page, live):
    """No run on reconnect: session_sync, and the client reloads the stored history."""
    sid = open_new_session(page, live.url)
    page.evaluate("window.navi.chat.socket.close()")  # gone for good: no reconnect
    with rest(live.url) as api:
        reply = api.post(f"/sessions/{sid}/messages", json={"content": "sent elsewhere"})
        assert reply.status_code == 200
    expect(page.locator(".msg.user")).to_have_count(0)
    page.evaluate("sid => window.navi.chat.open(sid)", sid)  # connect again
    expect(page.locator(".msg.user .user-text")).to_have_text("sent elsewhere")
    expect(answers(page).first).to_have_text("Echo: sent elsewhere")


def test_a_failed_run_shows_the_error_in_place_and_the_session_stays_usable(page, live):
    open_new_session(page, live.url)
    send(page, "Break " + script({"content": "half an answer", "error": "model crashed", "error_after": 2}))
    wait_idle(page)
    error = page.locator(".turn .notice.error")
    expect(error).to_contain_text("model crashed")
    expect(page.locator("#banner")).to_be_hidden()
    send(page, "still there?")
    wait_idle(page)
    expect(answers(page).last).to_have_text("Echo: still there?")


def test_an_unknown_session_shows_a_message_not_a_blank_page(page, live):
    open_app(page)
    page.goto("/#/sessions/00000000-0000-0000-0000-000000000000")
    expect(page.locator("#banner")).to_contain_text("no longer exists")
    expect(page.locator("#welcome")).to_be_visible()


def test_a_run_started_in_another_tab_shows_up_here(page, live, browser):
    sid = open_new_session(page, live.url)
    send(page, "first from here")
    wait_idle(page)

    other = browser.new_context(base_url=live.other_url()).new_page()
    try:
        open_app(other, sid, base=live.other_url())
        send(other, "Second from the other tab " + script({"content": words(30), **SLOW}))
        # This page sees the run live: input blocked, the answer streaming, the earlier exchange untouched.
        expect(page.locator("#stop-button")).to_be_visible()
        expect(answers(page).last).to_contain_text("w5")
        expect(answers(page).first).to_have_text("Echo: first from here")
        wait_idle(page)
    finally:
        other.context.close()
    # At the end it has the other tab's message too, in its place, and every answer once.
    expect(page.locator(".msg.user")).to_have_count(2)
    expect(page.locator(".msg.user").last).to_contain_text("Second from the other tab")
    expect(answers(page)).to_have_count(2)
    expect(answers(page).last).to_have_text(words(30))


def test_a_client_file_that_fails_to_load_is_reported_on_the_page(page, live):
    page.route("**/static/js/chat.js", lambda route: route.fulfill(status=503, body="unavailable"))
    page.goto("/")
    expect(page.locator("#banner")).to_be_visible()
    expect(page.locator("#banner-text")).to_contain_text("Navi could not")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#banner")).to_be_hidden()
    page.js_errors.clear()  # the failure is the point of this test
