"""`python manage.py cleanup_session_files [--dry-run] [--now ISO-8601] [--hours N]`"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from navi_project.command_args import now_argument
from sessions_app.file_storage import StorageUnavailable
from sessions_app.services.file_cleanup import session_files_cleanup


class Command(BaseCommand):
    help = "Delete the files of sessions idle for NAVI_FILE_RETENTION_HOURS (and of sessions that no longer exist)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
        parser.add_argument("--now", help="take this ISO-8601 time as now (to preview a later run)")
        parser.add_argument("--hours", type=float, help="retention in hours instead of NAVI_FILE_RETENTION_HOURS")

    def handle(self, *args, dry_run=False, now=None, hours=None, **options):
        at = now_argument(now)
        retention = hours if hours is not None else settings.NAVI_FILE_RETENTION_HOURS
        if retention <= 0:
            raise CommandError("--hours must be positive")
        try:
            cleaned = session_files_cleanup(now=at, retention_hours=retention, dry_run=dry_run)
        except StorageUnavailable as exc:  # nothing is lost: the next run removes what this one could not
            raise CommandError(f"The file storage is unreachable ({exc}); nothing more was removed.") from None
        verb = "Would remove" if dry_run else "Removed"
        for folder in cleaned:
            self.stdout.write(
                f"{verb} {folder.removed.files} file(s), {folder.removed.bytes} bytes, "
                f"of session {folder.session_id} ({folder.reason})"
            )
        files = sum(f.removed.files for f in cleaned)
        size = sum(f.removed.bytes for f in cleaned)
        self.stdout.write(
            f"{verb} {files} file(s), {size} bytes, of {len(cleaned)} session(s) idle for over {retention:g} h."
        )
