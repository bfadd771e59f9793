"""Session files: where they live and which names are allowed. (Uploads and downloads build on this.)"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

from navi_project.errors import ApplicationError


def session_folder(session_id) -> str:
    """The session's folder, relative to the storage root and as the agent and clients name it."""
    return f"session_files/{session_id}"


def attached_file_path(entry, *, session_id, index: int) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get("path") or entry.get("name"), str):
        raise ApplicationError(f"files[{index}] must be an object with the `path` the upload returned")
    raw = unquote(entry.get("path") or entry.get("name"))
    folder = session_folder(session_id)
    name = raw[len(folder) + 1 :] if raw.startswith(folder + "/") else raw
    clean = posixpath.normpath(name)
    if "\\" in raw or "\x00" in raw or clean.startswith(("/", "..")) or "/" in clean or clean in ("", "."):
        raise ApplicationError(f"files[{index}] is outside this session's files")
    return f"{folder}/{clean}"
