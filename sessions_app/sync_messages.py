"""POST /sessions/{id}/messages: the same run path as the WebSocket, answered when the run ends.

An async view that waits on the run's events: it subscribes to the session's run feed (as a socket does) and
reads the database once the run's final event arrives. Polling the database instead would put a query
every few milliseconds per waiting request on the one thread that synchronous code and the ORM share.
"""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

from channels.db import database_sync_to_async
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse

from accounts_app.auth import user_required
from navi_project.errors import error_body, json_view
from navi_project.json_body import json_body
from navi_project.openapi import ErrorSerializer, plain_operation
from sessions_app import presenters, schemas
from sessions_app.feed import run_feed
from sessions_app.inputs import parse_user_message
from sessions_app.models import Run, RunStatus
from sessions_app.runlog import run_log
from sessions_app.selectors import session_get_for_user, session_id_parse
from sessions_app.services.runs import RunOutcome, message_submit, run_outcome

# How often the wait reads the run's row anyway, in case its final event never reaches this process (a group
# announcement dropped in a Redis outage, a runner that died without one: the row then fails it as stale).
RECHECK_SECONDS = 3.0


def _submit(request, session_id: str) -> Run:
    user = user_required(request)
    # Ownership first: checking attached files of another user's session would tell which names it holds.
    session = session_get_for_user(user=user, session_id=session_id_parse(session_id))
    data = json_body(request, max_bytes=settings.NAVI_MAX_MESSAGE_BYTES)
    return message_submit(user=user, session_id=session.id, message=parse_user_message(data, session_id=session.id))


@plain_operation(
    "post",
    json_only=True,
    operation_id="sessions_message_send",
    summary="Send a message and wait for the answer (the WebSocket's run path, answered when the run ends)",
    request=schemas.UserMessageSerializer,
    responses={
        200: schemas.ReplySerializer,
        409: OpenApiResponse(ErrorSerializer, description="A run is going on in this session"),
        500: OpenApiResponse(ErrorSerializer, description="The run failed: the message says what failed"),
        504: OpenApiResponse(ErrorSerializer, description="Still running after NAVI_SYNC_RUN_TIMEOUT"),
    },
)
@csrf_exempt
@json_view("POST", wrong_method="Use POST")
async def session_messages(request, session_id: str):
    run = await database_sync_to_async(_submit)(request, session_id)
    # Raises ApplicationError (404) should the session be deleted while the request waits.
    outcome = await _wait_for_outcome(session_id=run.session_id, run_id=run.id)
    if outcome is None:
        return JsonResponse(
            error_body("The reply is still being generated; it will appear in the session."), status=504
        )
    if outcome.status == RunStatus.FAILED:
        return JsonResponse(error_body(outcome.error or "The agent failed"), status=500)
    return JsonResponse(presenters.run_reply(status=outcome.status, content=outcome.content))


async def _ended_in_log(run_id: UUID) -> bool:
    entries = await run_log().read(str(run_id))
    return bool(entries) and entries[-1].final


async def _wait_for_outcome(*, session_id: UUID, run_id: UUID) -> RunOutcome | None:
    """The run's outcome once it ends, or None past NAVI_SYNC_RUN_TIMEOUT."""
    loop, wakeups = asyncio.get_running_loop(), asyncio.Queue()

    def deliver(message: dict) -> None:  # on this loop from the feed, from another thread after a commit
        loop.call_soon_threadsafe(wakeups.put_nowait, message)

    await run_feed().subscribe(session_id, deliver)
    deadline = time.monotonic() + settings.NAVI_SYNC_RUN_TIMEOUT
    try:
        # Joined after the submit: a run that ended in between is in the log already (a short one, just begun).
        ended = await _ended_in_log(run_id)
        while True:
            if ended:
                outcome = await database_sync_to_async(run_outcome)(run_id=run_id)
                if outcome is not None:
                    return outcome
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                message = await asyncio.wait_for(wakeups.get(), min(remaining, RECHECK_SECONDS))
            except TimeoutError:
                ended = True  # look at the run itself
                continue
            # The feed's return after an outage: what it missed is in the log, and the row says how the run stands.
            ended = message["type"] == "feed.returned" or (
                message.get("run_id") == str(run_id) and bool(message.get("final"))
            )
    finally:
        await run_feed().unsubscribe(session_id, deliver)
