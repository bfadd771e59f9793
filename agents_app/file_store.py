"""The `filesystem` tool's SessionFiles over the `session_files` storage (the one uploads and downloads use)."""

from __future__ import annotations

import posixpath
from pathlib import Path

from django.core.files.base import ContentFile

from agents_app.engine.tools.filesystem import FileEntry
from navi_project.errors import ApplicationError
from sessions_app import files
from sessions_app.file_storage import StorageUnavailable


def _local(storage, key: str) -> Path | None:
    try:
        return Path(storage.path(key))
    except NotImplementedError:
        return None


def _check_no_symlink(storage, session_id: str, path: str) -> None:
    """On local disk, no part of the path below the storage root may be a symlink."""
    root = _local(storage, "")
    if root is None:
        return
    current = root
    for part in [session_id, *[p for p in path.split("/") if p]]:
        current = current / part
        if current.is_symlink():
            raise PermissionError("symbolic links are not followed")


class StorageSessionFiles:
    def _key(self, session_id: str, path: str) -> str:
        storage = files.session_storage()
        _check_no_symlink(storage, session_id, path)
        return files.storage_name(session_id, path) if path else str(session_id)

    def _read(self, session_id: str, path: str, limit: int) -> tuple[bytes, int]:
        storage = files.session_storage()
        key = self._key(session_id, path)
        local = _local(storage, key)
        if local is not None and local.is_dir():
            raise IsADirectoryError(path)
        if not storage.exists(key):
            raise FileNotFoundError(path)
        handle = storage.open_stream(key)  # the head only: S3's open() would fetch the whole object first
        try:
            head = handle.read(limit)
        finally:
            handle.close()
        return head, storage.size(key)

    def _write(self, session_id: str, path: str, data: bytes) -> int:
        storage = files.session_storage()
        key = self._key(session_id, path)
        try:
            files.check_extension(posixpath.basename(path))
        except ApplicationError as exc:
            raise PermissionError(exc.message) from None
        local = _local(storage, key)
        if local is not None and local.is_dir():
            raise IsADirectoryError(path)
        if storage.exists(key):
            storage.delete(key)  # `write` replaces the file; storages never overwrite by themselves
        storage.save(key, ContentFile(data))
        return len(data)

    def _list(self, session_id: str, path: str) -> list[FileEntry]:
        storage = files.session_storage()
        key = self._key(session_id, path)
        local = _local(storage, key)
        if local is not None and not local.is_dir():
            raise FileNotFoundError(path)
        dirs, names = storage.listdir(key)
        if local is None and not dirs and not names and path:
            raise FileNotFoundError(path)  # a bucket has no empty folders: nothing there means no such folder
        entries = [FileEntry(name=d, size=None, is_folder=True) for d in sorted(dirs)]
        entries += [FileEntry(name=n, size=storage.size(f"{key}/{n}")) for n in sorted(names)]
        return entries

    # Storage work runs on the file threads, never on the thread the ORM shares. An unreachable storage is an
    # OSError, which the tool reports as a failed call.
    async def read(self, session_id: str, path: str, limit: int) -> tuple[bytes, int]:
        return await files.in_file_thread(_reachable(self._read), session_id, path, limit)

    async def write(self, session_id: str, path: str, data: bytes) -> int:
        return await files.in_file_thread(_reachable(self._write), session_id, path, data)

    async def list(self, session_id: str, path: str) -> list[FileEntry]:
        return await files.in_file_thread(_reachable(self._list), session_id, path)


def _reachable(method):
    def call(*args):
        try:
            return method(*args)
        except StorageUnavailable as exc:
            raise ConnectionError(f"the file storage is unreachable ({exc})") from None

    return call
