"""Attachments: uploads with progress and clear refusals, images as thumbnails sent as base64."""

from __future__ import annotations

import base64

from playwright.sync_api import expect

from tests.web.files import png
from tests.web.pages import answers, open_new_session, send, wait_idle

WATCH_PROGRESS = """() => {
  window.sawProgress = false;
  new MutationObserver(() => {
    if (document.querySelector('#attachments progress.upload-progress')) window.sawProgress = true;
  }).observe(document.querySelector('#attachments'), {subtree: true, childList: true});
}"""


def last_user_message(fake) -> dict:
    chats = [r for r in fake.requests() if r.get("messages")]
    return [m for m in chats[-1]["messages"] if m["role"] == "user"][-1]


def test_an_upload_of_a_blocked_type_says_why(page, live):
    open_new_session(page, live.url)
    page.set_input_files("#file-input", files=[{"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"}])
    failed = page.locator(".attachment.failed")
    expect(failed).to_have_count(1)
    expect(failed.locator(".attachment-error")).to_contain_text('"setup.exe" cannot be uploaded')
    expect(failed.locator(".attachment-error")).to_have_attribute("role", "alert")
    # The refused file is not sent with the message, and can be dismissed.
    failed.get_by_role("button", name="Remove setup.exe").click()
    expect(page.locator(".attachment")).to_have_count(0)


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
    assert page.eval_on_selector_all("#attachments img.thumb", "imgs => imgs.every(i => i.complete && i.naturalWidth === 2)")

    send(page, "What colours are these?")
    expect(page.locator(".msg.user img.thumb")).to_have_count(2)
    wait_idle(page)
    images = last_user_message(fake_ollama_server).get("images")
    assert images == [base64.b64encode(red).decode(), base64.b64encode(blue).decode()]
    # After a reload the stored images are thumbnails again.
    page.reload()
    expect(page.locator(".msg.user img.thumb")).to_have_count(2)
