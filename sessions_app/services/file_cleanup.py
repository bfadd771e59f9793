"""Removing the files of idle sessions (and folders whose session no longer exists)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sessions_app.files import Removed, session_folder_delete, session_ids_with_files
from sessions_app.models import Session


@dataclass(frozen=True)
class CleanedFolder:
    session_id: str
    reason: str  # "idle" or "no session"
    removed: Removed


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def session_files_cleanup(*, now: datetime, retention_hours: float, dry_run: bool = False) -> list[CleanedFolder]:
    """Files of sessions idle since before `now - retention_hours`; a folder of no session counts as idle."""
    cutoff = now - timedelta(hours=retention_hours)
    folders = session_ids_with_files()
    ids = [u for u in map(_as_uuid, folders) if u is not None]
    last_active = dict(Session.objects.filter(id__in=ids).values_list("id", "last_active"))
    cleaned = []
    for folder in folders:
        sid = _as_uuid(folder)
        if sid is not None and sid in last_active and last_active[sid] >= cutoff:
            continue
        reason = "idle" if sid in last_active else "no session"
        cleaned.append(CleanedFolder(folder, reason, session_folder_delete(folder=folder, dry_run=dry_run)))
    return cleaned
