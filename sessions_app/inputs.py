"""Checking what clients send, before anything is stored. Shared by the WebSocket and REST entry points.

Types are strict (a list is a JSON array, never `""`, `0`, `false` or `{}`; unknown fields are refused) and every
limit is counted, so that each message these rules accept fits in NAVI_MAX_MESSAGE_BYTES, the frame limit of the
WebSocket and the body limit of POST /sessions/{id}/messages (tests/sessions_app/test_inputs.py checks the sum).
The JSON itself (depth, lone surrogates, NUL) was checked when it was parsed (navi_project.json_body).
"""

from __future__ import annotations

import base64
import binascii
import re

from navi_project.errors import ApplicationError
from sessions_app.services.runs import UserMessage

MAX_CONTENT_CHARS = 200_000
MAX_IMAGES = 10
# The images of one message together, decoded.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# The same images as sent (base64, data: prefixes, line breaks; a line break counts twice, as JSON escapes it).
MAX_IMAGE_TEXT_BYTES = 28 * 1024 * 1024
MAX_FILES = 20
MAX_FILE_TEXT_CHARS = 1_000
MESSAGE_FIELDS = frozenset({"type", "content", "images", "files"})
FILE_FIELDS = frozenset({"name", "size", "path", "content_type"})
_DATA_URL = re.compile(r"^data:image/[a-z0-9.+-]{1,64};base64,", re.IGNORECASE | re.ASCII)
# Only the whitespace base64 encoders write (MIME line breaks); anything else fails the base64 check.
_WHITESPACE = " \t\r\n"
_BASE64_WHITESPACE = re.compile(r"[ \t\r\n]+")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def _looks_like_image(data: bytes) -> bool:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data.startswith(_IMAGE_MAGIC)


def _decoded_size(raw: str) -> int:
    return len(raw) * 3 // 4 - raw[-2:].count("=")


def _mb(size: int) -> int:
    return size // (1024 * 1024)


def _refuse_unknown(data: dict, allowed: frozenset, where: str) -> None:
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise ApplicationError(f"{where}: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def parse_image(value, index: int) -> str:
    """Raw base64 of an image given as raw base64 or a data: URL."""
    if not isinstance(value, str) or not value.strip(_WHITESPACE):
        raise ApplicationError(f"images[{index}] must be a non-empty base64 string")
    raw = _BASE64_WHITESPACE.sub("", _DATA_URL.sub("", value.strip(_WHITESPACE), count=1))
    if _decoded_size(raw) > MAX_IMAGE_BYTES:
        raise ApplicationError(f"images[{index}] is larger than {_mb(MAX_IMAGE_BYTES)} MB")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ApplicationError(f"images[{index}] is not valid base64") from None
    if not _looks_like_image(data):
        raise ApplicationError(f"images[{index}] is not a PNG, JPEG, GIF, WebP or BMP image")
    return raw


def parse_images(value) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ApplicationError("images must be a list of base64 strings")
    if len(value) > MAX_IMAGES:
        raise ApplicationError(f"at most {MAX_IMAGES} images per message")
    sent = sum(len(v) + v.count("\n") + v.count("\r") + v.count("\t") for v in value if isinstance(v, str))
    if sent > MAX_IMAGE_TEXT_BYTES:
        raise ApplicationError(f"the images are larger than {_mb(MAX_IMAGE_BYTES)} MB together")
    images = tuple(parse_image(v, i) for i, v in enumerate(value))
    if sum(_decoded_size(raw) for raw in images) > MAX_IMAGE_BYTES:
        raise ApplicationError(f"the images are larger than {_mb(MAX_IMAGE_BYTES)} MB together")
    return images


def _check_file_entry(entry, index: int) -> None:
    where = f"files[{index}]"
    if not isinstance(entry, dict):
        raise ApplicationError(f"{where} must be an object with the `path` the upload returned")
    _refuse_unknown(entry, FILE_FIELDS, where)
    for key in ("name", "path", "content_type"):
        if key in entry and not (isinstance(entry[key], str) and len(entry[key]) <= MAX_FILE_TEXT_CHARS):
            raise ApplicationError(f"{where}.{key} must be text of at most {MAX_FILE_TEXT_CHARS} characters")
    if "size" in entry and (isinstance(entry["size"], bool) or not isinstance(entry["size"], int)):
        raise ApplicationError(f"{where}.size must be a whole number")


def parse_files(value, session_id) -> list[str]:
    """The session-relative paths of attached files; each must be in this session's own folder."""
    if not isinstance(value, list):
        raise ApplicationError("files must be a list of uploaded files")
    if len(value) > MAX_FILES:
        raise ApplicationError(f"at most {MAX_FILES} files per message")
    for i, entry in enumerate(value):
        _check_file_entry(entry, i)
    from sessions_app.files import attached_file_path  # the files module owns the session folder's rules

    return [attached_file_path(entry=entry, session_id=session_id, index=i) for i, entry in enumerate(value)]


def parse_user_message(data, *, session_id) -> UserMessage:
    if not isinstance(data, dict):
        raise ApplicationError("Send a JSON object")
    _refuse_unknown(data, MESSAGE_FIELDS, "message")
    if "type" in data and data["type"] != "message":
        raise ApplicationError('type must be "message"')
    content = data.get("content")
    if not isinstance(content, str) or not content.strip():
        raise ApplicationError("content must be non-empty text")
    if len(content) > MAX_CONTENT_CHARS:
        raise ApplicationError(f"content is longer than {MAX_CONTENT_CHARS} characters")
    images = parse_images(data["images"]) if "images" in data else ()
    paths = parse_files(data["files"], session_id) if "files" in data else []
    if paths:
        content += "\n\nAttached files:\n" + "\n".join(f"- {path}" for path in paths)
    return UserMessage(content=content, images=images)
