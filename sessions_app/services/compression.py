"""Applying a context compression to the stored conversation. Called from the runner through database_sync_to_async."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from sessions_app.models import MESSAGE_BODY, Message, Session
from sessions_app.services.messages import message_add

_COPIED = ("run_id", *MESSAGE_BODY)  # what a kept message carries into its context copy


@transaction.atomic
def session_compress_context(
    *, session_id: UUID, run_id: UUID, keep_recent: int, summary: dict, marker: dict
) -> tuple[int, int]:
    """Replace the session's context by `summary` followed by its last `keep_recent` messages; returns (before, after).

    Precondition: the run is active, so nothing else writes to this session's context meanwhile.
    Context order is message id order, so the summary must come after every message it replaces: the kept
    messages are copied after it (context only) and the originals leave the context but stay in the display
    history, which therefore never changes, apart from the `marker` (display only) appended at its end.
    """
    Session.objects.select_for_update().filter(id=session_id).first()  # serializes compressions of one session
    context = list(Message.objects.filter(session_id=session_id, in_context=True).order_by("id"))
    kept = context[len(context) - keep_recent :] if keep_recent else []
    Message.objects.filter(id__in=[m.id for m in context]).update(in_context=False)
    message_add(session_id=session_id, run_id=run_id, **{**summary, "in_display": False, "in_context": True})
    for original in kept:
        copy = message_add(
            session_id=session_id, in_display=False, in_context=True, **{f: getattr(original, f) for f in _COPIED}
        )
        Message.objects.filter(id=copy.id).update(created_at=original.created_at)
    message_add(session_id=session_id, run_id=run_id, **{**marker, "in_display": True, "in_context": False})
    Session.objects.filter(id=session_id).update(last_active=timezone.now())
    return len(context), len(kept) + 1
