"""The socket's sign-in after the handshake: an auth session that ends unannounced still stops the socket,
and paths that are no session answer 4004, through the real ASGI application."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from accounts_app.auth_sessions import auth_session_create
from accounts_app.models import AuthSession, User
from navi_project.asgi import application
from sessions_app.models import Message
from sessions_app.services.sessions import session_create

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def oauth_mode(settings):
    settings.NAVI_AUTH_MODE = "oauth"
    settings.NAVI_RUNNER = "worker"  # no in-process runner: nothing here needs a run to start


@database_sync_to_async
def signed_in_session():
    user = User.objects.create(username="ada", oauth_sub="sub-ada")
    return auth_session_create(user=user), str(session_create(user=user, profile_id="secretary").id)


def socket(path: str, secret: str | None = None) -> WebsocketCommunicator:
    headers = [(b"host", b"localhost")]
    if secret:
        headers.append((b"cookie", f"navi_auth_session={secret}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


@database_sync_to_async
def end_quietly() -> None:
    """End every auth session without the broadcast, as a logout that raced the handshake would."""
    AuthSession.objects.update(ended_at=timezone.now())


async def test_a_message_on_a_socket_whose_sign_in_ended_unannounced_closes_it_with_4001_and_stores_nothing():
    secret, session_id = await signed_in_session()
    ws = socket(f"/ws/sessions/{session_id}", secret)
    connected, _ = await ws.connect()
    assert connected and await ws.receive_json_from() == {
        "type": "session_sync",
        "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES,
    }
    await end_quietly()
    await ws.send_json_to({"type": "message", "content": "hello from a dead session"})
    assert (await ws.receive_output(5))["code"] == 4001
    assert await database_sync_to_async(Message.objects.count)() == 0


async def test_a_socket_whose_sign_in_ended_before_it_joined_its_group_is_closed_at_once():
    secret, session_id = await signed_in_session()
    # The handshake's check passes (middleware), then the session ends before connect() joins the group.
    from accounts_app import auth

    original = auth.caller_for_scope

    def caller_then_logout(scope):
        caller = original(scope)
        AuthSession.objects.update(ended_at=timezone.now())
        return caller

    auth.caller_for_scope = caller_then_logout
    try:
        ws = socket(f"/ws/sessions/{session_id}", secret)
        connected, _ = await ws.connect()
        assert connected
        assert (await ws.receive_output(5))["code"] == 4001
    finally:
        auth.caller_for_scope = original


async def test_a_websocket_path_that_is_no_session_closes_with_4004():
    ws = socket("/ws/nothing-here")
    connected, _ = await ws.connect()
    assert connected and (await ws.receive_output(5))["code"] == 4004
