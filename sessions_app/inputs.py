"""Checking what clients send, before anything is stored. Shared by the WebSocket and REST entry points."""

from __future__ import annotations

import base64
import binascii
import re

from navi_project.errors import ApplicationError
from sessions_app.services.runs import UserMessage

MAX_CONTENT_CHARS = 200_000
MAX_IMAGES = 10
MAX_IMAGE_BYTES = 20 * 1024 * 1024
_DATA_URL = re.compile(r"^data:image/[a-z0-9.+-]+;base64,", re.IGNORECASE)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def _looks_like_image(data: bytes) -> bool:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data.startswith(_IMAGE_MAGIC)


def parse_image(value, index: int) -> str:
    """Raw base64 of an image given as raw base64 or a data: URL."""
    if not isinstance(value, str) or not value.strip():
        raise ApplicationError(f"images[{index}] must be a non-empty base64 string")
    raw = _DATA_URL.sub("", value.strip(), count=1)
    raw = "".join(raw.split())
    if len(raw) * 3 // 4 > MAX_IMAGE_BYTES:
        raise ApplicationError(f"images[{index}] is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ApplicationError(f"images[{index}] is not valid base64") from None
    if not _looks_like_image(data):
        raise ApplicationError(f"images[{index}] is not a PNG, JPEG, GIF, WebP or BMP image")
    return raw


def parse_files(value, session_id) -> list[str]:
    """The session-relative paths of attached files; each must be in this session's own folder."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApplicationError("files must be a list of uploaded files")
    from sessions_app.files import attached_file_path  # the files module owns the session folder's rules

    return [attached_file_path(entry, session_id=session_id, index=i) for i, entry in enumerate(value)]


def parse_user_message(data, *, session_id) -> UserMessage:
    if not isinstance(data, dict):
        raise ApplicationError("Send a JSON object")
    content = data.get("content")
    if not isinstance(content, str) or not content.strip():
        raise ApplicationError("content must be non-empty text")
    if len(content) > MAX_CONTENT_CHARS:
        raise ApplicationError(f"content is longer than {MAX_CONTENT_CHARS} characters")
    images = data.get("images") or []
    if not isinstance(images, list):
        raise ApplicationError("images must be a list of base64 strings")
    if len(images) > MAX_IMAGES:
        raise ApplicationError(f"at most {MAX_IMAGES} images per message")
    paths = parse_files(data.get("files"), session_id)
    if paths:
        content += "\n\nAttached files:\n" + "\n".join(f"- {path}" for path in paths)
    return UserMessage(content=content, images=tuple(parse_image(v, i) for i, v in enumerate(images)))
