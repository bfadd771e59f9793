"""Hostile input and large events against the real server processes (tests/e2e/servers.py): one JSON error shape
for every error, strict types, deep JSON and lone surrogates refused, and frames sized both ways."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest
import websockets
from django.conf import settings

from navi_project.events import EVENT_MAX_BYTES
from tests.e2e.client import Socket, connect, new_session, rest, types

WRITE = "w" * 1_200_000
PNG_3MB = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 3_000_000).decode()


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "error"} and body["detail"] == body["error"]
    return body["detail"]


def call(name: str, **arguments) -> dict:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def stored(base: str, sid: str) -> list[dict]:
    with rest(base) as api:
        return api.get(f"/sessions/{sid}").json()["messages"]


def test_every_error_of_the_api_answers_the_json_shape_never_html(live):
    with rest(live.url) as api:
        assert "Host" in error_of(api.get("/health", headers={"Host": "evil.example"}), 400)
        for method in ("POST", "DELETE", "PUT"):
            response = api.request(method, "/health")
            assert "GET" in error_of(response, 405) and "GET" in response.headers["allow"]
        assert error_of(api.get("/no/such/page"), 404) == "Not found"
        five_mb = json.dumps({"profile_id": "x" * 5_000_000})
        assert "exceeds" in error_of(
            api.post("/sessions", content=five_mb, headers={"content-type": "application/json"}), 413
        )
        assert "CSRF" in error_of(api.post("/static/js/app.js"), 403)
        cross = api.post("/sessions", json={"profile_id": "secretary"}, headers={"Origin": "http://evil.example"})
        assert "Cross-site" in error_of(cross, 403)


def test_rest_bodies_of_the_wrong_type_answer_400_and_store_nothing(live):
    sid = new_session(live.url)
    with rest(live.url) as api:
        assert "profile_id" in error_of(api.post("/sessions", json={"profile_id": 5}), 400)
        for pinned in ("yes", 1, "true", None):
            assert "pinned" in error_of(api.patch(f"/sessions/{sid}/pin", json={"pinned": pinned}), 400)
        assert api.get(f"/sessions/{sid}").json()["pinned"] is False
        for images in ("", 0, False, {}):
            body = {"content": "hi", "images": images}
            assert "images" in error_of(api.post(f"/sessions/{sid}/messages", json=body), 400)
        raw = {"content-type": "application/json"}
        for body in ("[" * 1000 + "]" * 1000, '{"content": "\\ud800"}', '{"content": "a\\u0000b"}'):
            message = error_of(api.post(f"/sessions/{sid}/messages", content=body, headers=raw), 400)
            assert "deeper" in message or "surrogate" in message or "NUL" in message
            assert error_of(api.post("/sessions", content=body.replace("content", "profile_id"), headers=raw), 400)
        reply = api.post(f"/sessions/{sid}/messages", json={"content": "look", "images": [PNG_3MB]})
        assert reply.status_code == 200, reply.text  # past Django's 2.5 MB, within the message limit
    assert [m["role"] for m in stored(live.url, sid)] == ["user", "assistant"]


@pytest.mark.asyncio
async def test_hostile_frames_get_an_error_event_and_the_socket_stays_open(live):
    sid = new_session(live.url)
    ws = await connect(live.ws_url(live.url, sid))
    first = await ws.next()
    assert first == {"type": "session_sync", "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES}
    frames = [
        "[" * 1000 + "]" * 1000,
        '{"type": "message", "content": "\\ud800"}',
        '{"type": "message", "content": "a\\u0000b"}',
        *(json.dumps({"type": "message", "content": "x", "images": v}) for v in ("", 0, False, {})),
    ]
    for frame in frames:
        await ws.send(frame)
        event = await ws.next()
        assert event["type"] == "error" and event["message"], frame[:60]
    assert stored(live.url, sid) == []
    await ws.message("still here?")
    assert (await ws.until("stream_end"))[-1]["content"].startswith("Echo: still here?")
    await ws.close()


@pytest.mark.asyncio
async def test_a_1_2_mb_write_reaches_every_socket_cut_to_fit_and_is_stored_whole(live, fake_ollama_server):
    answer = {"content": " ".join(f"w{i}" for i in range(40)), "delay": 0.1}
    fake_ollama_server.set_script(
        "big-write", [call("filesystem", action="write", path="big.txt", content=WRITE), answer]
    )
    sid = new_session(live.url)
    ws = await connect(live.ws_url(live.url, sid))
    await ws.next()
    await ws.message("write it [[fake:big-write]]")
    events = await ws.until("tool_call", timeout=60)
    started, done = events[-2], events[-1]
    for event in (started, done):
        assert event["truncated_fields"] == ["args.content"] and event["args"]["path"] == "big.txt"
    assert done["success"], done["result"]
    # A client keeping the `websockets` library's 1 MiB default reconnects mid-run, on another front end if any.
    default = Socket(await websockets.connect(live.ws_url(live.other_url(), sid), open_timeout=10))
    replayed = await default.until("stream_end", timeout=60)
    assert types(replayed)[:2] == ["stream_start", "replay_start"] and "tool_call" in types(replayed)
    assert all(len(json.dumps(e)) <= EVENT_MAX_BYTES for e in replayed)
    await ws.until("stream_end", timeout=60)
    with rest(live.url) as api:
        assert len(api.get(f"/sessions/{sid}/files/big.txt").content) == len(WRITE)
    asked = next(m for m in stored(live.url, sid) if m.get("tool_calls"))
    assert asked["tool_calls"][0]["arguments"]["content"] == WRITE
    await ws.close()
    await default.close()


@pytest.mark.asyncio
async def test_a_1_mb_memory_value_is_cut_in_its_events(live, fake_ollama_server):
    value = "m" * 1_000_000
    fake_ollama_server.set_script(
        "big-memory", [call("memory", action="remember", key="k", value=value), {"content": "ok"}]
    )
    sid = new_session(live.url, "toolbox")
    ws = Socket(await websockets.connect(live.ws_url(live.url, sid), open_timeout=10))  # 1 MiB default
    await ws.next()
    await ws.message("remember [[fake:big-memory]]")
    events = await ws.until("stream_end", timeout=60)
    assert [e["truncated_fields"] for e in events if e["type"] in ("tool_started", "tool_call")] == [["args.value"]] * 2
    await ws.close()


@pytest.mark.asyncio
async def test_client_frames_up_to_the_limit_are_taken_and_past_it_closed_with_1009(live):
    sid = new_session(live.url)
    ws = await connect(live.ws_url(live.url, sid))
    await ws.next()
    await ws.message("a picture", images=[PNG_3MB])  # a 4 MB frame: past daphne's own 1 MiB default
    assert (await ws.until("stream_end", timeout=60))[-1]["content"].startswith("Echo: a picture")
    with pytest.raises(websockets.ConnectionClosed):  # refused from the frame's header, maybe mid-send
        await ws.send(json.dumps({"type": "message", "content": "x" * settings.NAVI_MAX_MESSAGE_BYTES}))
        await asyncio.wait_for(ws.ws.recv(), 30)
    assert ws.ws.close_code == 1009 and "exceeds payload limit" in ws.ws.close_reason
    assert [m["content"] for m in stored(live.url, sid) if m["role"] == "user"] == ["a picture"]
