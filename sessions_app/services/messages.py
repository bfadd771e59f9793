"""Writing a message, the one way every message is stored: with it, in the same transaction, its session's list
fields (Session.message_count and Session.preview), so that GET /sessions reads them off the session rows.

A message's `in_display` is set when it is written and never changes afterwards (compression takes rows out of
the context only), so counting at the write is all it takes. Deleting a session deletes its messages with it;
no message is deleted on its own.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sessions_app.models import PREVIEW_CHARS, Message, Session


def message_preview(message: Message) -> str | None:
    """What the message makes of its session's preview: the end of its text, or None when it leaves the preview
    as it was (no text, not in display, or a compression marker, which tells of the history and is not of it)."""
    if not message.in_display or not message.content or message.is_compression:
        return None
    return message.content[-PREVIEW_CHARS:]


@transaction.atomic(savepoint=False)
def message_add(*, session_id: UUID, touch: bool = False, **fields: Any) -> Message:
    """Store a message of the session; `touch` marks the session active now, in the same update of its row.
    Callers that write several hold the session's row lock (all do), so a later message is a later id and the
    preview is always the last one's."""
    message = Message.objects.create(session_id=session_id, **fields)
    now = timezone.now()
    changes: dict[str, Any] = {"last_active": now, "updated_at": now} if touch else {}
    if message.in_display:
        changes["message_count"] = F("message_count") + 1
        preview = message_preview(message)
        if preview is not None:
            changes["preview"] = preview
    if changes:
        Session.objects.filter(id=session_id).update(**changes)
    return message
