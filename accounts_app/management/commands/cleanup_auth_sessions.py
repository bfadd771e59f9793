"""`python manage.py cleanup_auth_sessions [--dry-run] [--now ISO-8601]`"""

from __future__ import annotations

from datetime import UTC

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts_app.auth_sessions import auth_sessions_cleanup


class Command(BaseCommand):
    help = "Delete auth sessions that ended (logout, user.deleted) or went unused for NAVI_AUTH_SESSION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
        parser.add_argument("--now", help="take this ISO-8601 time as now (to preview a later run)")

    def handle(self, *args, dry_run=False, now=None, **options):
        at = timezone.now()
        if now:
            at = parse_datetime(now)
            if at is None:
                raise CommandError(f"--now {now!r} is not an ISO-8601 date and time")
            if timezone.is_naive(at):
                at = timezone.make_aware(at, UTC)
        sessions, attempts = auth_sessions_cleanup(now=at, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {sessions} auth session(s) and {attempts} expired login attempt(s)")
