"""WS /ws/sessions/{id}: translates the protocol to services, and relays the session's run events (the relay's
sequence logic is sessions_app.relay's)."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts_app.auth_sessions import auth_session_group, auth_session_still_live
from navi_project import events
from navi_project.errors import ApplicationError, error_event
from navi_project.json_body import json_loads
from sessions_app.approval_messages import approval_from_socket
from sessions_app.consumer_dispatch import DirectDispatchMixin
from sessions_app.feed import run_feed
from sessions_app.inbox import InboxMixin
from sessions_app.inputs import parse_user_message
from sessions_app.relay import RunRelayMixin
from sessions_app.selectors import (
    run_active_for_session,
    run_latest_for_session,
    session_get_for_user,
    session_id_parse,
)
from sessions_app.services.dispatch import sends_handed_to_this_loop
from sessions_app.services.runs import message_submit, run_fail_if_stale

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4001
CLOSE_NOT_FOUND = 4004


@database_sync_to_async
def _load_session(user, session_id):
    try:
        return session_get_for_user(user=user, session_id=session_id)
    except ApplicationError:
        return None


@database_sync_to_async
def _runs_at_connect(session_id) -> tuple[str | None, str | None]:
    """The session's active run, and else its latest run (ended: its late messages are not to be followed)."""
    run = run_active_for_session(session_id=session_id)
    if run is not None and not run_fail_if_stale(run=run):
        return str(run.id), None
    latest = run_latest_for_session(session_id=session_id)
    return None, str(latest.id) if latest else None


class SignInEnded(Exception):
    """The socket's auth session ended since the handshake."""


@database_sync_to_async
def _still_signed_in(auth_session_id) -> bool:
    return auth_session_id is None or auth_session_still_live(auth_session_id=auth_session_id)


@database_sync_to_async
def _submit(user, session_id, data, auth_session_id) -> str:
    if auth_session_id is not None and not auth_session_still_live(auth_session_id=auth_session_id):
        raise SignInEnded
    return str(
        message_submit(user=user, session_id=session_id, message=parse_user_message(data, session_id=session_id)).id
    )


class SessionConsumer(RunRelayMixin, InboxMixin, DirectDispatchMixin, AsyncWebsocketConsumer):
    async def connect(self):
        self.relay_begin()
        self.last_sent = time.monotonic()
        self.heartbeat_task = None
        self.auth_session_id = None
        user = self.scope.get("user")
        await self.accept()  # accept first: close codes before accept never reach the client
        if user is None:
            return await self.close(code=CLOSE_UNAUTHENTICATED)
        try:
            session_key = session_id_parse(self.scope["url_route"]["kwargs"]["session_id"])
        except ApplicationError:
            return await self.close(code=CLOSE_NOT_FOUND)
        session = await _load_session(user, session_key)
        if session is None:
            return await self.close(code=CLOSE_NOT_FOUND)
        self.user = user
        self.session_key = session.id  # for the services; `session_id`, its text, for groups, logs and the log
        self.session_id = str(session.id)
        caller = self.scope.get("caller")
        self.auth_session_id = caller.auth_session_id if caller else None
        self.auth_group = auth_session_group(self.auth_session_id) if self.auth_session_id else None
        if self.auth_group:
            await self.channel_layer.group_add(self.auth_group, self.channel_name)
            # The session may have ended between the handshake's check and joining the group (whose broadcast
            # this socket would then have missed): look again now that it would hear one.
            if not await _still_signed_in(self.auth_session_id):
                return await self.close(code=CLOSE_UNAUTHENTICATED)
        # Subscribe before reading the log: an event appended meanwhile then arrives live and is de-duplicated.
        await run_feed().subscribe(self.session_id, self.deliver)
        self.subscribed = True
        run_id, ended_run_id = await _runs_at_connect(self.session_key)
        if run_id is None:
            if ended_run_id:
                self.ended_runs.append(ended_run_id)
            await self._send_text(json.dumps(events.session_sync()))
        else:
            await self._replay(run_id)
        self.heartbeat_task = asyncio.create_task(self._heartbeats())

    def consumer_ended(self) -> None:
        """What a closed socket lets go of, however it ended (run by InboxMixin, and first thing on disconnect)."""
        if getattr(self, "heartbeat_task", None):
            self.heartbeat_task.cancel()
        self.relay_end()
        if getattr(self, "subscribed", False):
            self.subscribed = False
            run_feed().forget(self.session_id, self.deliver)

    async def disconnect(self, code):
        self.consumer_ended()  # the feed lets go at once; its connection catches up in the background
        try:
            if getattr(self, "auth_group", None):
                await self.channel_layer.group_discard(self.auth_group, self.channel_name)
        except Exception:  # the layer is down: the memberships expire with it (group_expiry)
            logger.warning("leaving the groups of session %s failed", getattr(self, "session_id", None), exc_info=True)

    async def layer_returned(self):
        """The channel layer answers again after an outage, maybe restarted empty: join the sign-in's group again,
        and look at once whether the sign-in ended meanwhile. (The run's events come by the run feed, which
        rides out its own outages.) Raises while the layer is still down."""
        if getattr(self, "auth_group", None):
            await self.channel_layer.group_add(self.auth_group, self.channel_name)
            if not await _still_signed_in(self.auth_session_id):
                return {"type": "auth.ended"}
            return None
        # Nothing to join again: a message to itself shows that the layer takes messages again.
        await self.channel_layer.send(self.channel_name, {"type": "layer.back"})
        return None

    async def layer_back(self, message):
        """The layer's return, proven (see layer_returned): nothing more to do."""

    async def auth_ended(self, message):
        """The auth session this socket was opened with ended (logout, `user.deleted`): it may listen no more."""
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            return await self._send_error('Send messages as JSON text frames: {"type": "message", ...}')
        try:
            if len(text_data) > settings.NAVI_MAX_MESSAGE_BYTES:  # daphne refuses these first; other servers may not
                raise ApplicationError(
                    f"The message is larger than max_frame_bytes ({settings.NAVI_MAX_MESSAGE_BYTES})"
                )
            data = json_loads(text_data, what="Messages")
            if isinstance(data, dict) and data.get("type") == "tool_approval":
                problem = await approval_from_socket(self.user, self.session_key, data)
                return await self._send_error(problem) if problem else None
            if not isinstance(data, dict) or data.get("type") != "message":
                kind = data.get("type") if isinstance(data, dict) else None
                shown = repr(kind)[:100]
                raise ApplicationError(f'Unknown message type {shown}: send {{"type": "message", ...}}')
            with sends_handed_to_this_loop():
                run_id = await _submit(self.user, self.session_key, data, self.auth_session_id)
        except SignInEnded:
            return await self.close(code=CLOSE_UNAUTHENTICATED)
        except ApplicationError as exc:
            return await self._send_error(exc)
        except Exception:
            # Whatever went wrong, the socket stays: the client is told, the log has the rest.
            logger.exception("A message on session %s failed", self.session_id)
            return await self._send_error("The message could not be processed (a server error)")
        if self.run_id != run_id:
            self._track(run_id)

    # --- Sending ----------------------------------------------------------------------------------------------

    async def _send_text(self, text: str) -> None:
        if not getattr(self, "announced", False):
            # The first frame of a connection says how large a frame may be, either way (docs/errors-and-limits.md).
            self.announced = True
            text = json.dumps({**json.loads(text), "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES})
        elif len(text) > settings.NAVI_MAX_MESSAGE_BYTES:  # json.dumps writes ASCII: characters are bytes
            # The engine's event builders keep events far smaller; should one slip through, the socket survives.
            logger.error("An event of %d bytes for session %s was not sent", len(text), self.session_id)
            text = error_event(f"An event of {len(text)} bytes was too large to send; the session's history has it")
        self.last_sent = time.monotonic()
        await self.send(text_data=text)

    async def _send_error(self, error: ApplicationError | str) -> None:
        await self._send_text(error_event(error))

    async def _heartbeats(self) -> None:
        interval = settings.NAVI_HEARTBEAT_SECONDS
        while True:
            await asyncio.sleep(max(0.05, self.last_sent + interval - time.monotonic()))
            if self.run_id is None or time.monotonic() - self.last_sent < interval:
                continue
            await self._send_text(json.dumps(events.heartbeat()))
            # A silent run may have lost its runner, or its end been lost on the way: look (see run_check).
            await self.ask_run_check(self.run_id)


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path: closed with 4004, as a route that does not exist (not a 500 and a traceback)."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
