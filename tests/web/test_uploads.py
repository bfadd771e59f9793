"""Attachments: uploads with progress and clear refusals, images as thumbnails sent as base64."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from tests.e2e.client import new_session
from tests.e2e.servers import start_servers
from tests.web.files import png
from tests.web.pages import answers, open_new_session, send, wait_idle

WATCH_PROGRESS = """() => {
  window.sawProgress = false;
  new MutationObserver(() => {
    if (document.querySelector('#attachments progress.upload-progress')) window.sawProgress = true;
  }).observe(document.querySelector('#attachments'), {subtree: true, childList: true});
}"""


def last_user_message(fake) -> dict:
    """The user message of the last agent turn (streamed; naming requests are not)."""
    chats = [r for r in fake.requests() if r.get("messages") and r.get("stream", True)]
    return [m for m in chats[-1]["messages"] if m["role"] == "user"][-1]


def test_an_upload_of_a_blocked_type_says_why(page, live):
    open_new_session(page, live.url)
    page.set_input_files(
        "#file-input", files=[{"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"}]
    )
    failed = page.locator(".attachment.failed")
    expect(failed).to_have_count(1)
    expect(failed.locator(".attachment-error")).to_contain_text('"setup.exe" cannot be uploaded')
    expect(failed.locator(".attachment-error")).to_have_attribute("role", "alert")
    # The refused file is not sent with the message, and can be dismissed.
    failed.get_by_role("button", name="Remove setup.exe").click()
    expect(page.locator(".attachment")).to_have_count(0)


@pytest.fixture(scope="module")
def small_limit_server(fake_ollama_server, tmp_path_factory):
    """One embedded-defaults server that takes uploads of at most 1 MB."""
    servers = start_servers(
        tmp_path_factory.mktemp("navi-1mb"),
        ollama_url=fake_ollama_server.url,
        extra_env={"NAVI_MAX_UPLOAD_MB": "1"},
        database_url="",
        redis_url="",
    )
    yield servers
    servers.stop()


def test_an_upload_over_the_size_limit_says_so(page, small_limit_server):
    base = small_limit_server.url
    sid = new_session(base)
    page.goto(f"{base}/#/sessions/{sid}")
    expect(page.locator("#composer-input")).to_be_enabled()
    page.set_input_files(
        "#file-input", files=[{"name": "big.txt", "mimeType": "text/plain", "buffer": b"x" * (1536 * 1024)}]
    )
    error = page.locator(".attachment.failed .attachment-error")
    expect(error).to_contain_text('"big.txt" is too large')
    expect(error).to_contain_text("1 MB")
    # A refused upload does not hold the message back.
    page.locator("#composer-input").fill("hello anyway")
    expect(page.locator("#send-button")).to_be_enabled()


def test_an_upload_shows_progress_and_goes_with_the_message(page, live, fake_ollama_server):
    open_new_session(page, live.url)
    page.evaluate(WATCH_PROGRESS)
    body = b"line of notes\n" * 200_000  # 2.8 MB
    page.set_input_files("#file-input", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": body}])
    done = page.locator(".attachment.uploaded")
    expect(done).to_have_count(1)
    expect(done).to_contain_text("notes.txt")
    assert page.evaluate("window.sawProgress") is True
    send(page, "Summarize the attached notes")
    wait_idle(page)
    expect(page.locator(".attachment")).to_have_count(0)
    # The server adds the stored file's path to the message the model gets.
    assert "notes.txt" in last_user_message(fake_ollama_server)["content"]
    expect(answers(page).last).to_contain_text("Summarize the attached notes")


def test_images_attached_or_pasted_show_as_thumbnails_and_go_as_base64(page, live, fake_ollama_server):
    open_new_session(page, live.url)
    red, blue = png(rgb=(220, 20, 20)), png(rgb=(20, 20, 220))
    page.set_input_files("#file-input", files=[{"name": "red.png", "mimeType": "image/png", "buffer": red}])
    page.locator("#composer-input").focus()
    page.evaluate(
        """(b64) => {
          const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
          const data = new DataTransfer();
          data.items.add(new File([bytes], 'pasted.png', {type: 'image/png'}));
          document.querySelector('#composer-input').dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        base64.b64encode(blue).decode(),
    )
    thumbs = page.locator("#attachments img.thumb")
    expect(thumbs).to_have_count(2)
    assert page.eval_on_selector_all(
        "#attachments img.thumb", "imgs => imgs.every(i => i.complete && i.naturalWidth === 2)"
    )

    send(page, "What colours are these?")
    expect(page.locator(".msg.user img.thumb")).to_have_count(2)
    wait_idle(page)
    images = last_user_message(fake_ollama_server).get("images")
    assert images == [base64.b64encode(red).decode(), base64.b64encode(blue).decode()]
    # After a reload the stored images are thumbnails again.
    page.reload()
    expect(page.locator(".msg.user img.thumb")).to_have_count(2)
