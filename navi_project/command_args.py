"""Arguments the management commands share."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def now_argument(value: str | None) -> datetime:
    """`--now ISO-8601` (naive means UTC), to preview a later run; the current time when not given."""
    if not value:
        return timezone.now()
    at = parse_datetime(value)
    if at is None:
        raise CommandError(f"--now {value!r} is not an ISO-8601 date and time")
    return timezone.make_aware(at, UTC) if timezone.is_naive(at) else at
