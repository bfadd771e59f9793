"""A session's name, once given, stays: the write behind name generation (agents_app.session_naming)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q

from sessions_app.models import Session


def session_name_set(*, session_id: UUID, name: str) -> str | None:
    """Store the name unless the session got one meanwhile (the first name stays); returns the stored name."""
    Session.objects.filter(Q(name__isnull=True) | Q(name=""), id=session_id).update(name=name or None)
    return Session.objects.values_list("name", flat=True).get(id=session_id)
