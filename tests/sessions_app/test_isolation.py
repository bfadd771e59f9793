"""Users see and touch only their own sessions (CONTRACT section 5), through the real ASGI application.

Two users: A owns a session with messages, an active run, a planning log and a file; B owns nothing of A's.
Every session endpoint answers B as if A's session did not exist (404, the same body as for an unknown id) and
leaves A's session as it was; the WebSocket closes with 4004 for B, 4001 without a live auth session; and every
endpoint but the open ones answers 401 JSON without credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from accounts_app.auth import AUTH_COOKIE
from accounts_app.auth_sessions import auth_session_create, auth_session_end
from accounts_app.models import User
from accounts_app.tokens import secret_new
from navi_project.asgi import application
from sessions_app.files import session_file_save
from sessions_app.models import Message, PlanningLog, Role, Run, RunStatus, Session
from sessions_app.services.planning_logs import planning_log_add
from sessions_app.services.sessions import session_create
from tests.fakes.fake_ollama import script

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    # Django's own note when it serves a file download under ASGI.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators"),
]

SECRET_MARK = "A-PRIVATE"
NOT_FOUND = {"detail": "Session not found", "error": "Session not found"}


# --- HTTP and WebSocket through navi_project.asgi.application ---------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def credentials(secret: str | None, via: str = "bearer") -> list[tuple[bytes, bytes]]:
    if secret is None:
        return []
    if via == "cookie":
        return [(b"cookie", f"{AUTH_COOKIE}={secret}".encode())]
    return [(b"authorization", f"Bearer {secret}".encode())]


async def http(method: str, path: str, *, secret=None, via="bearer", body=None, headers=()) -> Answer:
    """One request through the whole ASGI stack. `body`: a dict (JSON), or ("upload", name, bytes) (multipart)."""
    raw = [(b"host", b"localhost"), *credentials(secret, via), *headers]
    data = b""
    if isinstance(body, tuple) and body[0] == "upload":
        data = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile(body[1], body[2])})
        raw.append((b"content-type", MULTIPART_CONTENT.encode()))
    elif body is not None:
        data = json.dumps(body).encode()
        raw.append((b"content-type", b"application/json"))
    raw.append((b"content-length", str(len(data)).encode()))
    return await send(method, path, data, raw)


async def send(method: str, path: str, data: bytes, headers: list[tuple[bytes, bytes]]) -> Answer:
    communicator = HttpCommunicator(application, method, path, body=data, headers=headers)
    await communicator.send_input({"type": "http.request", "body": data})
    start = await communicator.receive_output(timeout=30)
    chunks = []
    while True:  # HttpCommunicator.get_response trips over a streamed file's last message, which has no body
        chunk = await communicator.receive_output(timeout=30)
        chunks.append(chunk.get("body", b""))
        if not chunk.get("more_body"):
            break
    await communicator.wait(timeout=10)
    headers_out = {key.decode().lower(): value.decode() for key, value in start.get("headers", [])}
    return Answer(start["status"], headers_out, b"".join(chunks))


async def socket_outcome(session_id, headers) -> dict:
    """What the server does with a WebSocket to the session: its close message, its first event, or None."""
    ws = WebsocketCommunicator(application, f"/ws/sessions/{session_id}", headers=[(b"host", b"localhost"), *headers])
    connected, _ = await ws.connect(timeout=10)
    assert connected  # the consumer accepts first, so that its close code reaches the client
    if await ws.receive_nothing(timeout=0.5):
        await ws.disconnect()
        return None  # held open, silent
    output = await ws.receive_output(timeout=10)
    if output["type"] == "websocket.send":
        await ws.disconnect()
        return json.loads(output["text"])
    return output


# --- The two users and A's session ----------------------------------------------------------------------------


@dataclass
class World:
    a: User
    b: User
    a_secret: str
    b_secret: str
    sid: str  # A's session
    files: Path  # A's session folder


@pytest.fixture
def oauth(settings):
    settings.NAVI_AUTH_MODE = "oauth"
    # The tests that need runs bring their own runner (the `runner` fixture), so the application must not start
    # the in-process one on the test's loop.
    settings.NAVI_RUNNER = "worker"
    return settings


@pytest.fixture
def world(oauth, storage_root) -> World:
    a = User.objects.create(username="ann", oauth_sub="sub-ann", role="user")
    b = User.objects.create(username="bob", oauth_sub="sub-bob", role="user")
    session = session_create(user=a, profile_id="secretary")
    done = Run.objects.create(session=session, status=RunStatus.COMPLETED, finished_at=timezone.now())
    Message.objects.create(session=session, run=done, role=Role.USER, content=f"{SECRET_MARK} question")
    Message.objects.create(session=session, run=done, role=Role.ASSISTANT, content=f"{SECRET_MARK} answer")
    # A run still going (never handed to a runner): what a stop would flag and a new message would collide with.
    active = Run.objects.create(session=session)
    Message.objects.create(session=session, run=active, role=Role.USER, content=f"{SECRET_MARK} in progress")
    planning_log_add(session_id=session.id, run_id=done.id, needs_plan=True, phases=[("plan", f"{SECRET_MARK} plan")])
    session_file_save(session_id=session.id, name="notes.txt", content=ContentFile(f"{SECRET_MARK} file".encode()))
    return World(
        a=a,
        b=b,
        a_secret=auth_session_create(user=a),
        b_secret=auth_session_create(user=b),
        sid=str(session.id),
        files=storage_root / str(session.id),
    )


@database_sync_to_async
def state_of(world: World) -> dict:
    """Everything of A's session that a request could change."""
    return {
        "session": Session.objects.filter(id=world.sid).values().first(),
        "messages": list(Message.objects.filter(session_id=world.sid).order_by("id").values()),
        "runs": list(Run.objects.filter(session_id=world.sid).order_by("created_at").values()),
        "planning": list(PlanningLog.objects.filter(session_id=world.sid).values()),
        "files": {p.name: p.read_bytes() for p in world.files.iterdir()} if world.files.is_dir() else {},
        "sessions_of_b": Session.objects.filter(user=world.b).count(),
    }


UPLOAD = ("upload", "intruder.txt", b"B's bytes")
# (method, path after /sessions/{id}, body, status A gets for the same request on their own session)
SESSION_ENDPOINTS = [
    ("GET", "", None, 200),
    ("DELETE", "", None, 204),
    ("PATCH", "/pin", {"pinned": True}, 200),
    ("GET", "/context", None, 200),
    ("GET", "/planning", None, 200),
    ("POST", "/generate-name", None, 200),
    ("POST", "/stop", None, 200),
    ("POST", "/messages", {"content": "B was here"}, 409),  # A's own run is still active
    ("POST", "/files", UPLOAD, 201),
    ("GET", "/files/notes.txt", None, 200),
]
ENDPOINT_IDS = [f"{method} {suffix or '/'}" for method, suffix, _, _ in SESSION_ENDPOINTS]


# --- Another user's session: 404 everywhere, nothing changes ------------------------------------------------------


@pytest.mark.parametrize("via", ["bearer", "cookie"])
@pytest.mark.parametrize(("method", "suffix", "body", "own_status"), SESSION_ENDPOINTS, ids=ENDPOINT_IDS)
async def test_another_users_session_answers_404_on_every_endpoint_and_changes_nothing(
    world, fake_ollama, method, suffix, body, own_status, via
):
    before = await state_of(world)
    answer = await http(method, f"/sessions/{world.sid}{suffix}", secret=world.b_secret, via=via, body=body)
    assert answer.status == 404, answer.body
    assert answer.content_type == "application/json"
    assert SECRET_MARK.encode() not in answer.body
    # As unknown as a session that does not exist: nothing tells B that the id is taken.
    unknown = await http(method, f"/sessions/{uuid.uuid4()}{suffix}", secret=world.b_secret, via=via, body=body)
    assert answer.json() == unknown.json() == NOT_FOUND
    assert await state_of(world) == before
    # The same request with A's credentials gets through: the 404 was about whose session it is.
    own = await http(method, f"/sessions/{world.sid}{suffix}", secret=world.a_secret, via=via, body=body)
    assert own.status == own_status, own.body


async def test_another_users_files_are_no_oracle_for_the_messages_endpoint(world):
    """Naming a file that A uploaded and one that A did not must answer B alike (else B learns A's file names)."""
    before = await state_of(world)
    answers = [
        await http(
            "POST",
            f"/sessions/{world.sid}/messages",
            secret=world.b_secret,
            body={"content": "look", "files": [{"path": f"session_files/{world.sid}/{name}"}]},
        )
        for name in ("notes.txt", "no-such-file.txt")
    ]
    assert [(a.status, a.json()) for a in answers] == [(404, NOT_FOUND), (404, NOT_FOUND)]
    assert await state_of(world) == before


async def test_the_session_list_shows_each_user_only_their_own_sessions(world):
    second_of_a = await database_sync_to_async(session_create)(user=world.a, profile_id="secretary")
    created = await http("POST", "/sessions", secret=world.b_secret, body={"profile_id": "secretary"})
    assert created.status == 201
    of_b = created.json()["session_id"]

    listed_for_b = await http("GET", "/sessions", secret=world.b_secret)
    listed_for_a = await http("GET", "/sessions", secret=world.a_secret, via="cookie")
    assert [s["session_id"] for s in listed_for_b.json()] == [of_b]
    assert {s["session_id"] for s in listed_for_a.json()} == {world.sid, str(second_of_a.id)}
    assert SECRET_MARK.encode() not in listed_for_b.body
    # B's new session is as invisible to A as A's are to B.
    assert (await http("GET", f"/sessions/{of_b}", secret=world.a_secret)).status == 404
    assert (await http("GET", f"/sessions/{of_b}", secret=world.b_secret)).status == 200


# --- WebSocket ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["bearer", "cookie"])
async def test_a_websocket_to_another_users_session_closes_with_4004(world, runner, via):
    assert await socket_outcome(world.sid, credentials(world.b_secret, via)) == {
        "type": "websocket.close",
        "code": 4004,
    }
    # The same socket with A's credentials stays open: A's run in progress has logged nothing yet, so the server
    # waits to relay its live events.
    assert await socket_outcome(world.sid, credentials(world.a_secret, via)) is None
    of_b = await database_sync_to_async(session_create)(user=world.b, profile_id="secretary")
    assert await socket_outcome(of_b.id, credentials(world.b_secret, via)) == {
        "type": "session_sync",
        "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES,
    }


async def test_a_websocket_without_credentials_closes_with_4001(world, runner):
    assert await socket_outcome(world.sid, []) == {"type": "websocket.close", "code": 4001}


@pytest.mark.parametrize("how", ["garbage bearer", "unknown bearer", "ended bearer", "ended cookie", "basic scheme"])
async def test_a_websocket_with_a_bad_or_ended_secret_closes_with_4001(world, runner, how):
    ended = await database_sync_to_async(auth_session_create)(user=world.a)
    assert await database_sync_to_async(auth_session_end)(secret=ended)
    headers = {
        "garbage bearer": [(b"authorization", b"Bearer not-a-secret")],
        "unknown bearer": credentials(secret_new()),
        "ended bearer": credentials(ended),
        "ended cookie": credentials(ended, via="cookie"),
        "basic scheme": [(b"authorization", f"Basic {world.a_secret}".encode())],
    }[how]
    assert await socket_outcome(world.sid, headers) == {"type": "websocket.close", "code": 4001}


async def test_a_websocket_hears_only_the_runs_of_its_own_session(world, runner, fake_ollama):
    of_b = await database_sync_to_async(session_create)(user=world.b, profile_id="secretary")
    of_c = await database_sync_to_async(session_create)(user=world.a, profile_id="secretary")
    headers = [(b"host", b"localhost")]
    listener = WebsocketCommunicator(
        application, f"/ws/sessions/{of_b.id}", headers=[*headers, *credentials(world.b_secret)]
    )
    speaker = WebsocketCommunicator(
        application, f"/ws/sessions/{of_c.id}", headers=[*headers, *credentials(world.a_secret)]
    )
    assert (await listener.connect(timeout=10))[0] and (await speaker.connect(timeout=10))[0]
    assert (
        await listener.receive_json_from()
        == await speaker.receive_json_from()
        == {"type": "session_sync", "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES}
    )
    await speaker.send_json_to({"type": "message", "content": f"{SECRET_MARK} " + script({"content": "secret words"})})
    while (event := await speaker.receive_json_from(timeout=15))["type"] != "stream_end":
        pass
    assert event["content"] == "secret words"
    assert await listener.receive_nothing(timeout=0.3)
    await listener.disconnect()
    await speaker.disconnect()


# --- Without a live auth session: 401 JSON everywhere but the open endpoints -----------------------------------


def needs_auth(world: World) -> list[tuple[str, str, object]]:
    sessions = [(method, f"/sessions/{world.sid}{suffix}", body) for method, suffix, body, _ in SESSION_ENDPOINTS]
    return [
        ("GET", "/auth/me", None),
        ("POST", "/auth/logout", None),
        ("GET", "/agents/profiles", None),
        ("GET", "/agents/tools", None),
        ("GET", "/sessions", None),
        ("POST", "/sessions", {"profile_id": "secretary"}),
        *sessions,
    ]


async def test_every_endpoint_answers_401_json_without_a_live_auth_session(world):
    ended = await database_sync_to_async(auth_session_create)(user=world.a)
    await database_sync_to_async(auth_session_end)(secret=ended)
    ways = {
        "nothing": [],
        "garbage bearer": [(b"authorization", b"Bearer nope")],
        "unknown bearer": credentials(secret_new()),
        "ended bearer": credentials(ended),
        "ended cookie": credentials(ended, via="cookie"),
        "basic scheme": [(b"authorization", b"Basic YWxpY2U6cHc=")],
        # A request with an Authorization header is judged by it alone: a bad bearer never falls back to the cookie.
        "bad bearer, A's cookie": [(b"authorization", b"Bearer nope"), *credentials(world.a_secret, via="cookie")],
    }
    before = await state_of(world)
    refused = []
    for method, path, body in needs_auth(world):
        for way, headers in ways.items():
            answer = await http(method, path, body=body, headers=headers)
            if answer.status != 401 or answer.content_type != "application/json" or not answer.json().get("detail"):
                refused.append((method, path, way, answer.status, answer.body[:80]))
            assert SECRET_MARK.encode() not in answer.body
    assert refused == []
    assert await state_of(world) == before
    assert (await http("GET", "/auth/me", secret=world.a_secret)).json()["id"] == str(world.a.id)


def signed_webhook(secret: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    body = json.dumps(
        {"id": f"delivery-{uuid.uuid4()}", "event": "user.updated", "sent_at": int(time.time()), "user": {"sub": "x"}}
    ).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, [(b"x-gnexus-signature", signature.encode()), (b"content-type", b"application/json")]


async def test_the_open_endpoints_answer_without_credentials(world, settings):
    settings.GNEXUS_AUTH_AUTHORIZE_URL = "http://auth.example/oauth/authorize"
    settings.GNEXUS_AUTH_CLIENT_ID = "navi"
    settings.GNEXUS_AUTH_WEBHOOK_SECRET = "hook-secret"
    body, headers = signed_webhook("hook-secret")
    webhook = await send("POST", "/webhooks/gnexus-auth", body, [(b"host", b"localhost"), *headers])
    assert (webhook.status, webhook.json()) == (200, {"ok": True})

    index = await http("GET", "/")
    assert index.status == 200 and index.content_type.startswith("text/html")
    assert (await http("GET", "/health")).json() == {"status": "ok"}
    login = await http("GET", "/auth/login")
    assert login.status == 302 and login.headers["location"].startswith("http://auth.example/oauth/authorize?")
    # The callback and the bridge page judge what they are given, not who is asking: 400 pages, never 401.
    assert (await http("GET", "/auth/callback")).status == 400
    assert (await http("GET", "/auth/mobile-done")).status == 400
    assert (await http("GET", f"/auth/mobile-done?sid={secret_new()}")).status == 200
    static = await http("GET", "/static/js/app.js")
    assert static.status == 200 and static.content_type == "text/javascript"
