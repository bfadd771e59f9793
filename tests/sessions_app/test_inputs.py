"""The input rules (sessions_app/inputs.py): strict types, counted limits, and every message they accept fits in
the frame the WebSocket announces (NAVI_MAX_MESSAGE_BYTES)."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from navi_project.errors import ApplicationError
from sessions_app import inputs
from sessions_app.files import session_file_save
from sessions_app.inputs import parse_user_message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PNG_B64 = base64.b64encode(PNG).decode()
SID = uuid.uuid4()


def refusal(data) -> str:
    with pytest.raises(ApplicationError) as caught:
        parse_user_message(data, session_id=SID)
    assert caught.value.status == 400
    return caught.value.message


@pytest.mark.parametrize("images", ["", 0, False, {}, None, "abc", True, 1.5])
def test_images_that_are_not_a_list_are_refused_however_falsy(images):
    assert "images must be a list" in refusal({"content": "hi", "images": images})


@pytest.mark.parametrize("files", ["", 0, False, {}, None, "a.txt"])
def test_files_that_are_not_a_list_are_refused_however_falsy(files):
    assert "files must be a list" in refusal({"content": "hi", "files": files})


@pytest.mark.parametrize("content", [None, 5, True, ["hi"], {"text": "hi"}, "", "   "])
def test_content_must_be_non_empty_text(content):
    assert "content must be non-empty text" in refusal({"content": content})


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("session_files/x/a.txt", "must be an object"),
        ({"path": 5}, "files[0].path must be text"),
        ({"path": "a.txt", "size": "12"}, "files[0].size must be a whole number"),
        ({"path": "a.txt", "size": True}, "files[0].size must be a whole number"),
        ({"path": "a.txt", "extra": 1}, "unknown field 'extra'"),
        ({"path": "a" * 1001}, "at most 1000 characters"),
    ],
)
def test_file_entries_hold_the_upload_answers_fields_with_their_types(entry, says):
    assert says in refusal({"content": "hi", "files": [entry]})


def test_unknown_fields_and_other_types_are_refused():
    assert "unknown field 'image'" in refusal({"content": "hi", "image": PNG_B64})
    assert 'type must be "message"' in refusal({"type": "messages", "content": "hi"})
    assert "JSON object" in refusal(["hi"])


def test_a_message_with_images_and_files_as_they_should_be_is_taken(storage_root):
    stored = session_file_save(session_id=SID, name="notes.txt", content=ContentFile(b"notes"))
    entry = {"name": stored.name, "size": 5, "path": stored.path, "content_type": "text/plain"}
    message = parse_user_message(
        {"type": "message", "content": "look", "images": [f"data:image/png;base64,{PNG_B64}"], "files": [entry]},
        session_id=SID,
    )
    assert message.images == (PNG_B64,) and message.content.endswith(f"- {stored.path}")


def test_images_count_together_against_the_size_limit():
    each = b"\x89PNG\r\n\x1a\n" + b"\x00" * (inputs.MAX_IMAGE_BYTES // 3)
    text = base64.b64encode(each).decode()
    assert parse_user_message({"content": "hi", "images": [text, text]}, session_id=SID).images
    assert "together" in refusal({"content": "hi", "images": [text, text, text, text]})


def test_whitespace_other_than_line_breaks_does_not_pass_as_base64():
    assert parse_user_message({"content": "hi", "images": [PNG_B64[:8] + "\r\n" + PNG_B64[8:]]}, session_id=SID)
    assert "not valid base64" in refusal({"content": "hi", "images": [PNG_B64[:8] + "\u3000" + PNG_B64[8:]]})


def _largest_images() -> list[str]:
    """Images at every limit at once: 20 MB decoded, and their text as sent filled up with line breaks."""
    count = inputs.MAX_IMAGES
    each = b"\x89PNG\r\n\x1a\n" + b"\x00" * (inputs.MAX_IMAGE_BYTES // count - 8)
    prefix = "data:image/" + "x" * 64 + ";base64,"
    raw = base64.b64encode(each).decode()
    room = inputs.MAX_IMAGE_TEXT_BYTES // count - len(prefix) - len(raw)
    breaks = room // 2  # a line break counts twice
    step = len(raw) // breaks + 1
    text = prefix + "\n".join(raw[i : i + step] for i in range(0, len(raw), step))
    assert len(text) + text.count("\n") <= inputs.MAX_IMAGE_TEXT_BYTES // count
    return [text] * count


def test_the_largest_message_the_rules_take_fits_in_the_announced_frame(storage_root):
    stored = session_file_save(session_id=SID, name="f" * 140 + ".txt", content=ContentFile(b"x"))
    longest = "\U0001f600" * inputs.MAX_FILE_TEXT_CHARS  # 12 bytes each as JSON escapes them
    entry = {"name": longest, "size": int("9" * 4000), "path": stored.path, "content_type": longest}
    message = {
        "type": "message",
        "content": "\U0001f600" * inputs.MAX_CONTENT_CHARS,
        "images": _largest_images(),
        "files": [entry] * inputs.MAX_FILES,
    }
    assert parse_user_message(message, session_id=SID).images  # taken
    frame = json.dumps(message)  # the ordinary encoder: every non-ASCII character escaped
    assert len(frame) <= settings.NAVI_MAX_MESSAGE_BYTES
    print(f"largest accepted message: {len(frame):,} bytes of {settings.NAVI_MAX_MESSAGE_BYTES:,}")


def test_one_more_of_anything_is_refused():
    assert "longer than" in refusal({"content": "x" * (inputs.MAX_CONTENT_CHARS + 1)})
    assert f"at most {inputs.MAX_IMAGES} images" in refusal({"content": "x", "images": [PNG_B64] * 11})
    assert f"at most {inputs.MAX_FILES} files" in refusal({"content": "x", "files": [{"path": "a"}] * 21})
    images = _largest_images()
    sent = sum(len(text) + text.count("\n") for text in images)
    images[0] += "\n" * ((inputs.MAX_IMAGE_TEXT_BYTES - sent) // 2 + 1)  # one line break past the limit
    assert "together" in refusal({"content": "x", "images": images})
