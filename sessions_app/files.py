"""Session files: where they live, which names are allowed, and storing, opening and removing them.

Every file of a session is `<session_id>/<name>` in the `session_files` storage (see file_storage.py); clients
and the agent know it as `session_files/<session_id>/<name>`.
"""

from __future__ import annotations

import errno
import mimetypes
import posixpath
import re
import shutil
import unicodedata
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote
from uuid import UUID

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.files.storage import storages

from navi_project.errors import ApplicationError
from sessions_app.file_storage import StorageUnavailable

PUBLIC_ROOT = "session_files"
BLOCKED_EXTENSIONS = frozenset(
    {
        "exe", "dll", "so", "sh", "bat", "cmd", "ps1", "vbs", "bin", "elf", "com", "scr", "msi", "msp", "jar",
        "app", "apk", "deb", "rpm", "dmg", "pif", "cpl", "hta", "jse", "wsf", "wsh", "vbe", "reg", "lnk", "run",
        "dylib", "ko", "csh", "bash", "zsh", "ksh", "fish", "command", "scpt",
    }
)  # fmt: skip
MAX_NAME_LENGTH = 150
_UNSAFE_CHARS = re.compile(r"[^\w.\- ()\[\]+,@=]")
# Shown inline: images a browser renders safely, PDFs, plain text. SVG and HTML can carry scripts.
_INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif", "application/pdf")


# Short file work (a download's next chunk, the filesystem tool's reads and writes) runs on threads of its own:
# never on the process-wide thread-sensitive thread that WebSocket consumers and the runner share for the ORM,
# where a slow disk or S3 endpoint would stall every socket and run.
_FILE_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="navi-files")
DOWNLOAD_CHUNK = 256 * 1024


async def in_file_thread(func: Callable[..., Any], *args, **kwargs) -> Any:
    """Run blocking file work (no ORM: connections belong to the thread-sensitive thread) off the shared thread."""
    return await database_sync_to_async(func, thread_sensitive=False, executor=_FILE_THREADS)(*args, **kwargs)


def session_storage():
    return storages["session_files"]


def max_upload_bytes() -> int:
    return int(settings.NAVI_MAX_UPLOAD_MB) * 1024 * 1024


# The folder helpers render an id into a storage key: a UUID from the services, a str from the engine's tools.
def session_folder(session_id: UUID | str) -> str:
    """The session's folder, relative to the storage root and as the agent and clients name it."""
    return f"{PUBLIC_ROOT}/{session_id}"


def storage_name(session_id: UUID | str, name: str) -> str:
    return f"{session_id}/{name}"


def safe_name(raw: str) -> str:
    """A base name that is safe on any disk and in any URL: no folders, no control characters, no leading dot."""
    name = unicodedata.normalize("NFC", str(raw or "")).replace("\\", "/").replace("\x00", "")
    name = posixpath.basename(name.rstrip("/"))
    name = _UNSAFE_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    root, ext = posixpath.splitext(name)
    if len(name) > MAX_NAME_LENGTH:
        ext = ext[:20]
        root = root[: MAX_NAME_LENGTH - len(ext)]
        name = root + ext
    return name if root.strip(" ._") else f"file{ext}"


def check_extension(name: str) -> None:
    """Executables are refused; only the last extension counts, in any case (`a.pdf.EXE` is refused)."""
    ext = posixpath.splitext(name)[1].lstrip(".").lower()
    if ext in BLOCKED_EXTENSIONS:
        raise ApplicationError(f"Files of type .{ext} are not accepted", 400)


def content_type_for(name: str, fallback: str | None = None) -> str:
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or fallback or "application/octet-stream"


def shown_inline(content_type: str) -> bool:
    return content_type in _INLINE_TYPES or content_type == "text/plain"


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    path: str
    content_type: str


def session_file_save(*, session_id: UUID, name: str, content: Any, content_type: str | None = None) -> StoredFile:
    """Store `content` (a Django File, read in chunks by the storage) under a safe, free name."""
    clean = safe_name(name)
    check_extension(clean)
    try:
        stored = session_storage().save(storage_name(session_id, clean), content)
    except StorageUnavailable:
        raise ApplicationError(
            "The file could not be stored: the file storage is unreachable. Try again.", 503
        ) from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ApplicationError("The file could not be stored: the server's disk is full", 507) from None
        raise ApplicationError("The file could not be stored: the file storage failed. Try again.", 503) from None
    final = posixpath.basename(stored)
    return StoredFile(
        name=final,
        size=content.size,
        path=f"{session_folder(session_id)}/{final}",
        content_type=content_type_for(final, content_type),
    )


def _decodings(value: str, rounds: int = 4):
    """The name and its percent-decodings (`%252e` hides `%2e`, which hides `.`)."""
    yield value
    for _ in range(rounds):
        decoded = unquote(value)
        if decoded == value:
            return
        value = decoded
        yield value


def download_name(filename: str) -> str:
    """The base name a download asks for; anything that could reach outside the folder is refused with 403."""
    for form in _decodings(filename):
        parts = form.replace("\\", "/").split("/")
        if "\x00" in form or len(parts) > 1 or form in ("", ".", "..") or ".." in parts:
            raise ApplicationError("The file name points outside the session's files", 403)
    return filename


@dataclass(frozen=True)
class OpenedFile:
    handle: Any  # read(n) and close(), from the storage's open_stream()
    name: str
    size: int


def session_file_open(*, session_id: UUID, filename: str) -> OpenedFile:
    """A stored file opened for streaming, or 404. Blocking: call it through in_file_thread."""
    name = download_name(filename)
    storage = session_storage()
    key = storage_name(session_id, name)
    try:
        if not _is_plain_file(storage, key):
            raise ApplicationError("File not found", 404)
        size = storage.size(key)
        return OpenedFile(handle=storage.open_stream(key), name=name, size=size)
    except FileNotFoundError:
        raise ApplicationError("File not found", 404) from None
    except StorageUnavailable:
        raise ApplicationError("The file storage is unreachable. Try again.", 503) from None


async def file_chunks(handle, chunk: int = DOWNLOAD_CHUNK) -> AsyncIterator[bytes]:
    """The file's bytes, a chunk at a time, each read on a file thread; the file is closed however it ends."""
    try:
        while data := await in_file_thread(handle.read, chunk):
            yield data
    finally:
        await in_file_thread(handle.close)


def _is_plain_file(storage, key: str) -> bool:
    if not storage.exists(key):
        return False
    local = _local_path(storage, key)
    # A symlink placed in the folder (by hand, or by a bug) must not expose the rest of the disk.
    return local is None or (local.is_file() and not local.is_symlink())


def _local_path(storage, key: str):
    from pathlib import Path

    try:
        return Path(storage.path(key))
    except NotImplementedError:  # remote storage: no local path
        return None


def session_file_keys(storage: Any, folder: str) -> list[str]:
    """Every stored key under the session's folder (its id as a str), subfolders included."""
    keys, pending = [], [folder]
    while pending:
        folder = pending.pop()
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        keys.extend(f"{folder}/{name}" for name in files)
        pending.extend(f"{folder}/{name}" for name in dirs)
    return keys


@dataclass(frozen=True)
class Removed:
    files: int
    bytes: int


def session_files_delete(*, session_id: UUID, dry_run: bool = False) -> Removed:
    """Remove every file of the session (and, on local disk, its folder)."""
    return session_folder_delete(folder=str(session_id), dry_run=dry_run)


def session_folder_delete(*, folder: str, dry_run: bool = False) -> Removed:
    """Remove a session folder by its name in storage, which may name no session at all (left by a bug)."""
    storage = session_storage()
    keys = session_file_keys(storage, folder)
    size = 0
    for key in keys:
        try:
            size += storage.size(key)
        except (FileNotFoundError, OSError):
            pass
        if not dry_run:
            storage.delete(key)
    local = _local_path(storage, folder)
    if not dry_run and local is not None and local.is_dir():
        shutil.rmtree(local, ignore_errors=True)
    if not dry_run and hasattr(storage, "abort_unfinished_uploads"):
        storage.abort_unfinished_uploads(folder)  # the parts of uploads cut off midway
    return Removed(files=len(keys), bytes=size)


def session_ids_with_files() -> list[str]:
    try:
        dirs, _ = session_storage().listdir("")
    except FileNotFoundError:
        return []
    return sorted(dirs)


def attached_file_path(*, entry: object, session_id: UUID, index: int) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get("path") or entry.get("name"), str):
        raise ApplicationError(f"files[{index}] must be an object with the `path` the upload returned")
    raw = unquote(entry.get("path") or entry.get("name"))
    folder = session_folder(session_id)
    name = raw[len(folder) + 1 :] if raw.startswith(folder + "/") else raw
    clean = posixpath.normpath(name)
    if "\\" in raw or "\x00" in raw or clean.startswith(("/", "..")) or "/" in clean or clean in ("", "."):
        raise ApplicationError(f"files[{index}] is outside this session's files")
    if not _is_plain_file(session_storage(), storage_name(session_id, clean)):
        raise ApplicationError(f"files[{index}]: {clean!r} was not uploaded to this session")
    return f"{folder}/{clean}"
