"""An MCP tool result as the text a tool returns: text parts, else the structured result; other parts noted."""

from __future__ import annotations

import base64
import binascii
import json

from mcp import types

from agents_app.engine.tools import ToolError

MAX_RESULT_CHARS = 100_000


def _image_note(kind: str, mime: str, data: str) -> str:
    try:
        size = len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        size = len(data) * 3 // 4
    return f"[{kind}: {mime}, {size} bytes]"


def _part_text(part) -> str:
    if isinstance(part, types.TextContent):
        return part.text
    if isinstance(part, types.ImageContent):
        return _image_note("image", part.mime_type, part.data)
    if isinstance(part, types.AudioContent):
        return _image_note("audio", part.mime_type, part.data)
    if isinstance(part, types.EmbeddedResource):
        resource = part.resource
        text = getattr(resource, "text", None)
        return text if text is not None else f"[resource {resource.uri}: {resource.mime_type or 'binary'}]"
    if isinstance(part, types.ResourceLink):
        return f"[resource link {part.uri}: {part.name}]"
    return f"[{getattr(part, 'type', 'unknown')} content]"


def result_text(result: types.CallToolResult) -> str:
    """The tool result's text; an `is_error` result raises ToolError with the server's message."""
    texts = [_part_text(part) for part in result.content]
    has_text = any(isinstance(part, types.TextContent) for part in result.content)
    if not has_text and result.structured_content is not None:
        texts.insert(0, json.dumps(result.structured_content, ensure_ascii=False))
    text = "\n".join(t for t in texts if t) or "(the tool returned nothing)"
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS] + f"\n[truncated: {len(text) - MAX_RESULT_CHARS} more characters]"
    if result.is_error:
        raise ToolError(text)
    return text
