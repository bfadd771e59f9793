"""`python manage.py cleanup_auth_sessions [--dry-run] [--now ISO-8601]`"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts_app.auth_sessions import auth_sessions_cleanup
from navi_project.command_args import now_argument


class Command(BaseCommand):
    help = "Delete auth sessions that ended (logout, user.deleted) or went unused for NAVI_AUTH_SESSION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
        parser.add_argument("--now", help="take this ISO-8601 time as now (to preview a later run)")

    def handle(self, *args, dry_run=False, now=None, **options):
        at = now_argument(now)
        sessions, attempts = auth_sessions_cleanup(now=at, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {sessions} auth session(s) and {attempts} expired login attempt(s)")
