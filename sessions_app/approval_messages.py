"""`{"type": "tool_approval", "call_id": ..., "approved": ...}` from a session's WebSocket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from channels.db import database_sync_to_async

from navi_project.errors import ApplicationError
from sessions_app.selectors import session_id_parse
from sessions_app.services.approvals import approval_answer, parse_approved, parse_call_id

if TYPE_CHECKING:
    from uuid import UUID

    from accounts_app.models import User


@database_sync_to_async
def approval_from_socket(user: User, session_id: UUID, data: dict) -> str | None:
    """Hand the answer on; the problem with it, for an `error` event, or None."""
    try:
        call_id = parse_call_id(data.get("call_id"))
        approved = parse_approved(data.get("approved"))
        approval_answer(user=user, session_id=session_id_parse(session_id), call_id=call_id, approved=approved)
    except ApplicationError as exc:
        return exc.message
    return None
