"""Generated input of any shape against every REST body and the WebSocket's message rules.

Whatever arrives: never a 5xx (nor a 1011 close), a refusal in the one JSON error shape, nothing stored on a
refusal, and what is accepted had the strict types the API documents (a JSON `true`, not `"yes"` or `1`).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts_app.models import User
from accounts_app.services import user_get_or_create_owner
from sessions_app.inputs import MESSAGE_FIELDS
from sessions_app.models import Message, Run, Session
from sessions_app.services.sessions import session_create
from tests.sessions_app.test_consumer import ws_app

pytestmark = pytest.mark.django_db(transaction=True)

# CI-sized: REST examples take milliseconds, WebSocket ones a socket and sometimes a run.
REST_EXAMPLES = settings(
    max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)
WS_EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
# Lone surrogates, nesting far past any sane depth, and plain values of every JSON type.
hostile_text = st.sampled_from(["\ud800", "\udfff", "", " ", "yes", "true", "1", "0", "x" * 300])
json_values = st.recursive(scalars | hostile_text, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=12), inner, max_size=4), max_leaves=12)  # fmt: skip
# Values one type away from a valid one: what loose parsing accepts and strict parsing must not.
near_misses = st.sampled_from(["yes", "true", "1", 1, 0, 1.0, None, "", [], {}, True, False, "admin", "secretary"])
FIELDS = ["profile_id", "pinned", "role", "is_admin_only", "content", "images", "files", "type", "name"]
bodies = json_values | st.dictionaries(st.sampled_from(FIELDS), json_values | hostile_text, max_size=4)
FIELD_OF = {"/pin": "pinned", "/role": "role", "/availability": "is_admin_only", "/sessions": "profile_id"}


def _body_for(path: str):
    field = next((f for suffix, f in FIELD_OF.items() if path.endswith(suffix)), None)
    shaped = st.fixed_dictionaries({field: near_misses | json_values}) if field else st.nothing()
    return st.one_of(shaped, shaped, bodies)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _encoded(body) -> bytes:
    return json.dumps(body).encode("utf-8", "surrogatepass")


def _stored() -> tuple:
    """Everything a refused request must leave as it was."""
    return (
        list(Session.objects.order_by("id").values_list("id", "profile_id", "pinned", "name")),
        list(Message.objects.order_by("id").values_list("id", "content")),
        list(Run.objects.order_by("id").values_list("id", "status")),
        list(User.objects.order_by("id").values_list("id", "role")),
    )


def _endpoints(session_id: str, user_id: str) -> list[tuple[str, str]]:
    return [
        ("post", "/sessions"),
        ("patch", f"/sessions/{session_id}/pin"),
        ("post", f"/sessions/{session_id}/stop"),
        ("delete", f"/sessions/{session_id}"),
        ("post", "/auth/logout"),
        ("patch", f"/admin/users/{user_id}/role"),
        ("patch", "/admin/profiles/secretary/availability"),
        ("post", f"/sessions/{session_id}/files"),
    ]


def _strictly_typed(method: str, path: str, body) -> bool:
    """Whether an accepted body had the documented types (bodyless endpoints take anything)."""
    if method == "delete" or path.endswith(("/stop", "/logout")):
        return True
    if not isinstance(body, dict) or path.endswith("/files"):
        return False  # a JSON body is never an upload
    if path.endswith("/pin"):
        return isinstance(body.get("pinned"), bool)
    if path.endswith("/availability"):
        return isinstance(body.get("is_admin_only"), bool)
    if path.endswith("/role"):
        return body.get("role") in ("admin", "user")
    return isinstance(body.get("profile_id"), str)  # POST /sessions


@REST_EXAMPLES
@given(data=st.data(), which=st.integers(min_value=0, max_value=7), raw=st.sampled_from([None, None, "deep", "bytes"]))
def test_any_rest_body_gets_an_answer_below_500_and_a_refusal_stores_nothing(data, which, raw):
    owner = user_get_or_create_owner()
    session_id, user_id = str(session_create(user=owner, profile_id="secretary").id), str(owner.id)
    method, path = _endpoints(session_id, user_id)[which]
    body = data.draw(_body_for(path), label="body")
    payload = {"deep": _deep(1000).encode(), "bytes": b"\xff\xfe{not json"}.get(raw) or _encoded(body)
    before = _stored()
    response = getattr(Client(), method)(path, data=payload, content_type="application/json")
    assert response.status_code < 500, (path, payload[:200], response.content[:300])
    if response.status_code >= 400:
        error = response.json()
        assert isinstance(error["error"], str) and error["error"] and error["detail"] == error["error"]
        assert _stored() == before, (path, payload[:200])
    elif raw is None and response.status_code < 300:
        assert _strictly_typed(method, path, body), (path, body, response.content[:300])


message_frames = st.fixed_dictionaries(
    {"type": st.just("message"), "content": st.text(min_size=1, max_size=40) | hostile_text | json_values},
    optional={"images": near_misses | json_values, "files": near_misses | json_values},
)
frames = st.one_of(message_frames, message_frames, bodies)


def _clean_text(text: str) -> bool:
    """No NUL and no lone surrogate: text the database and every JSON encoder can hold."""
    return "\x00" not in text and not any("\ud800" <= ch <= "\udfff" for ch in text)


def _accepts(frame) -> bool:
    """The message rules, strictly typed: only the known fields, text content, and `images` and `files` lists
    when present."""
    if not isinstance(frame, dict) or frame.get("type") != "message" or set(frame) - MESSAGE_FIELDS:
        return False
    content = frame.get("content")
    if not isinstance(content, str) or not content.strip() or not _clean_text(content):
        return False
    # Generated images and files are never real ones: only empty lists can pass.
    return all(frame[field] == [] for field in ("images", "files") if field in frame)


async def _exchange(session_id: str, text: str) -> tuple[list[dict], dict | None]:
    ws = WebsocketCommunicator(ws_app(), f"/ws/sessions/{session_id}")
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=10))["type"] == "session_sync"
    await ws.send_to(text_data=text)
    events = []
    while True:
        output = await ws.receive_output(timeout=10)
        if output["type"] == "websocket.close":
            return events, output
        event = json.loads(output["text"])
        if event["type"] == "heartbeat":
            continue
        events.append(event)
        if event["type"] in ("error", "stream_end"):
            await ws.disconnect()
            return events, None


@WS_EXAMPLES
@given(frame=frames, raw=st.sampled_from([None, None, None, "deep", "text"]))
def test_any_websocket_frame_is_answered_and_a_refused_one_stores_nothing(fake_ollama, frame, raw):
    channel_layers.backends.clear()
    session_id = str(session_create(user=user_get_or_create_owner(), profile_id="secretary").id)
    text = {"deep": _deep(1000), "text": "not json at all"}.get(raw) or json.dumps(frame)

    async def scenario():
        from channels.layers import get_channel_layer
        from channels.routing import ChannelNameRouter
        from channels.worker import Worker

        from agents_app.runner import AgentRunnerConsumer

        worker = Worker(
            application=ChannelNameRouter({"agent-runner": AgentRunnerConsumer.as_asgi()}),
            channels=["agent-runner"],
            channel_layer=get_channel_layer(),
        )
        task = asyncio.create_task(worker.arun())
        try:
            return await _exchange(session_id, text)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    events, closed = asyncio.run(scenario())
    assert closed is None, f"the socket was closed ({closed}) instead of answered"
    stored = list(Message.objects.filter(session_id=session_id).values_list("content", flat=True))
    if events[0]["type"] == "error":
        assert isinstance(events[0]["message"], str) and events[0]["message"]
        assert stored == [] and not Run.objects.filter(session_id=session_id).exists()
    else:
        assert raw is None and _accepts(frame), frame
        assert events[0]["type"] == "stream_start" and events[-1]["type"] == "stream_end", events
        assert stored[0] == frame["content"]
