"""The user's answer to a tool call waiting for approval, from the WebSocket or REST."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from navi_project.errors import ApplicationError
from sessions_app.approvals import approval_book, approval_send
from sessions_app.selectors import session_get_for_user

if TYPE_CHECKING:
    from accounts_app.models import User

MAX_CALL_ID_CHARS = 100


def parse_approved(value: object) -> bool:
    if not isinstance(value, bool):
        raise ApplicationError("approved must be true or false")
    return value


def parse_call_id(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_CALL_ID_CHARS:
        raise ApplicationError("call_id must be the call_id of a tool_approval_required event")
    return value.strip()


def approval_answer(*, user: User, session_id: UUID, call_id: str, approved: bool) -> None:
    """Hand the answer to the run that waits for it; 404 when no call of the user's session waits by that id."""
    session = session_get_for_user(user=user, session_id=session_id)
    run_id = async_to_sync(approval_book().claim)(str(session.id), call_id, approved)
    if run_id is None:
        raise ApplicationError(f"No tool call {call_id!r} is waiting for approval in this session.", 404)
    async_to_sync(approval_send)(layer=get_channel_layer(), run_id=run_id, call_id=call_id, approved=approved)
