"""`filesystem`: read, write and list files in the session's own files folder, through the host's SessionFiles.

Paths are relative to the folder; `session_files/<session_id>/x` and `x` name the same file. Everything that
could reach elsewhere (absolute paths, `..`, backslashes, NUL, percent-encoded forms of those) is refused here;
the host's store refuses symlinks, which only it can see.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote

from agents_app.engine.tools.base import Tool, ToolContext, ToolError

MAX_READ_BYTES = 100_000
MAX_WRITE_BYTES = 5 * 1024 * 1024
MAX_LISTED = 500


@dataclass(frozen=True)
class FileEntry:
    name: str
    size: int | None  # None for a folder
    is_folder: bool = False


class SessionFiles(Protocol):
    """A session's files folder. `path` is relative to it and already checked ("" is the folder itself).

    read/list raise FileNotFoundError for a missing path; any of them raises PermissionError for a path the
    store will not follow (a symlink), and ConnectionError when the storage behind it cannot be reached.
    """

    async def read(self, session_id: str, path: str, limit: int) -> tuple[bytes, int]: ...  # (head, total size)
    async def write(self, session_id: str, path: str, data: bytes) -> int: ...
    async def list(self, session_id: str, path: str) -> list[FileEntry]: ...


def folder_path(raw, session_id: str, *, allow_root: bool) -> str:
    """The checked path relative to the session's folder."""
    if not isinstance(raw, str):
        raise ToolError("`path` must be a string: a file name in this session's files folder")
    path = raw.strip()
    for _ in range(4):  # `%2e%2e%2f` is `../` and `%252e` is `%2e`: judge every decoded form
        if "%" not in path:
            break
        decoded = unquote(path)
        if decoded == path:
            break
        if any(bad in decoded for bad in ("..", "\\", "\x00")) or decoded.startswith("/"):
            raise ToolError(f"refused path {raw!r}: percent-encoded path tricks are not allowed")
        path = decoded
    if "\x00" in path:
        raise ToolError("refused path: it contains a NUL byte")
    if "\\" in path:
        raise ToolError(f"refused path {raw!r}: use `/` between folders, not backslashes")
    own = f"session_files/{session_id}"
    if path.lstrip("/") == own or path.lstrip("/").startswith(own + "/"):
        path = path.lstrip("/").removeprefix(own)
    elif path.lstrip("/").startswith("session_files/"):
        raise ToolError(f"refused path {raw!r}: only this session's folder ({own}/) is reachable")
    elif path.startswith(("/", "~")):
        raise ToolError(f"refused path {raw!r}: only paths inside this session's files folder are allowed")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ToolError(f"refused path {raw!r}: `..` is not allowed; files stay inside this session's folder")
    clean = posixpath.join(*parts) if parts else ""
    if not clean and not allow_root:
        raise ToolError("`path` must name a file in this session's files folder")
    return clean


async def _read(files: SessionFiles, ctx: ToolContext, path: str) -> str:
    try:
        head, total = await files.read(ctx.session_id, path, MAX_READ_BYTES)
    except FileNotFoundError:
        raise ToolError(f"no file {path!r} in this session's files (see action `list`)") from None
    if b"\x00" in head[:8192]:
        raise ToolError(f"{path!r} is a binary file ({total} bytes); it cannot be shown as text")
    text = head.decode("utf-8", errors="replace")
    if total > len(head):
        text += f"\n[... truncated: the file has {total} bytes, the first {len(head)} are shown]"
    return text


async def _write(files: SessionFiles, ctx: ToolContext, path: str, content) -> str:
    if not isinstance(content, str):
        raise ToolError("action `write` needs `content`: the text to write")
    data = content.encode("utf-8")
    if len(data) > MAX_WRITE_BYTES:
        raise ToolError(f"content is larger than {MAX_WRITE_BYTES // (1024 * 1024)} MB")
    size = await files.write(ctx.session_id, path, data)
    return f"Wrote {size} bytes to session_files/{ctx.session_id}/{path}"


async def _list(files: SessionFiles, ctx: ToolContext, path: str) -> str:
    try:
        entries = await files.list(ctx.session_id, path)
    except FileNotFoundError:
        if not path:
            return "This session has no files yet."
        raise ToolError(f"no folder {path!r} in this session's files") from None
    if not entries:
        return "This session has no files yet." if not path else f"The folder {path!r} is empty."
    lines = [f"{e.name}/" if e.is_folder else f"{e.name} ({e.size} bytes)" for e in entries[:MAX_LISTED]]
    if len(entries) > MAX_LISTED:
        lines.append(f"... and {len(entries) - MAX_LISTED} more")
    return "\n".join(lines)


async def run_filesystem(args: dict, ctx: ToolContext) -> str:
    files: SessionFiles | None = ctx.ports.extra.get("files")
    if files is None:
        raise ToolError("session files are not available here")
    action = args.get("action")
    if action not in ("read", "write", "list"):
        raise ToolError(f"unknown action {action!r}: use read, write or list")
    path = folder_path(args.get("path", ""), ctx.session_id, allow_root=action == "list")
    try:
        if action == "read":
            return await _read(files, ctx, path)
        if action == "write":
            return await _write(files, ctx, path, args.get("content"))
        return await _list(files, ctx, path)
    except PermissionError as exc:
        raise ToolError(f"refused path {path!r}: {exc}") from None
    except IsADirectoryError:
        raise ToolError(f"{path!r} is a folder; use action `list`") from None
    except ConnectionError as exc:  # the store's storage is unreachable (an S3 endpoint down)
        raise ToolError(f"the session's files cannot be reached right now: {exc}") from None


filesystem_tool = Tool(
    name="filesystem",
    description=(
        "Read, write and list files in this session's files folder (files the user attached are there). "
        "Paths are relative to the folder, e.g. `report.txt`; `session_files/<session id>/report.txt` also works."
    ),
    parameters={
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": ["read", "write", "list"], "description": "What to do"},
            "path": {"type": "string", "description": "A file (read, write) or folder (list; empty for all files)"},
            "content": {"type": "string", "description": "The text to write (for write)"},
        },
        "required": ["action", "path"],
    },
    run=run_filesystem,
    timeout=30.0,
)
