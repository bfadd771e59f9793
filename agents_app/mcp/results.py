"""An MCP tool result as what a tool returns: text parts, else the structured result; other parts noted.

Images the model can read (PNG, JPEG, WebP) also go to it as images on the tool message; the text keeps a short
note of each, for the client's tool card.
"""

from __future__ import annotations

import base64
import binascii
import json

from mcp import types

from agents_app.engine.tools import ToolError, ToolResult

MAX_RESULT_CHARS = 100_000
MODEL_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
MAX_IMAGE_BYTES = 20 * 1024 * 1024


def _decoded_size(data: str) -> int | None:
    try:
        return len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        return None


def _image_note(kind: str, mime: str, data: str) -> str:
    size = _decoded_size(data)
    return f"[{kind}: {mime}, {size if size is not None else len(data) * 3 // 4} bytes]"


def model_image(part) -> str | None:
    """The base64 data of an image part the model can be shown, else None (noted in the text only)."""
    if not isinstance(part, types.ImageContent) or part.mime_type.lower() not in MODEL_IMAGE_TYPES:
        return None
    size = _decoded_size(part.data)
    return part.data if size is not None and 0 < size <= MAX_IMAGE_BYTES else None


def _part_text(part) -> str:
    if isinstance(part, types.TextContent):
        return part.text
    if isinstance(part, types.ImageContent):
        note = _image_note("image", part.mime_type, part.data)
        return note if model_image(part) is not None else note[:-1] + ", not shown to the model]"
    if isinstance(part, types.AudioContent):
        return _image_note("audio", part.mime_type, part.data)
    if isinstance(part, types.EmbeddedResource):
        resource = part.resource
        text = getattr(resource, "text", None)
        return text if text is not None else f"[resource {resource.uri}: {resource.mime_type or 'binary'}]"
    if isinstance(part, types.ResourceLink):
        return f"[resource link {part.uri}: {part.name}]"
    return f"[{getattr(part, 'type', 'unknown')} content]"


def tool_result(result: types.CallToolResult) -> str | ToolResult:
    """The tool result's text, with its images when it has some; an `is_error` result raises ToolError with the
    server's message."""
    texts = [_part_text(part) for part in result.content]
    has_text = any(isinstance(part, types.TextContent) for part in result.content)
    if not has_text and result.structured_content is not None:
        texts.insert(0, json.dumps(result.structured_content, ensure_ascii=False))
    text = "\n".join(t for t in texts if t) or "(the tool returned nothing)"
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS] + f"\n[truncated: {len(text) - MAX_RESULT_CHARS} more characters]"
    if result.is_error:
        raise ToolError(text)
    images = tuple(image for image in map(model_image, result.content) if image is not None)
    return ToolResult(text, images) if images else text
