"""Cross-site requests in both modes (CONTRACT section 5): a foreign Origin cannot drive the agent."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
import websockets

from tests.e2e.client import rest
from tests.e2e.oauth_users import mobile_sid, new_account, signed_in

EVIL = "http://evil.example"


def test_local_mode_refuses_unsafe_requests_from_a_foreign_origin(live):
    with rest(live.url) as api:
        refused = api.post("/sessions", json={"profile_id": "tiny"}, headers={"Origin": EVIL})
        assert refused.status_code == 403 and "Cross-site" in refused.json()["detail"]
        assert api.post("/sessions", json={"profile_id": "tiny"}, headers={"Origin": "null"}).status_code == 403
        own = api.post("/sessions", json={"profile_id": "tiny"}, headers={"Origin": live.url})
        assert own.status_code == 201
        session_id = own.json()["session_id"]
        assert api.post("/sessions", json={"profile_id": "tiny"}).status_code == 201  # no Origin: a CLI client
        for method, path in [
            ("POST", f"/sessions/{session_id}/messages"),
            ("POST", f"/sessions/{session_id}/stop"),
            ("PATCH", f"/sessions/{session_id}/pin"),
            ("DELETE", f"/sessions/{session_id}"),
            ("POST", f"/sessions/{session_id}/files"),
            ("POST", f"/sessions/{session_id}/generate-name"),
        ]:
            response = api.request(method, path, json={"content": "hi", "pinned": True}, headers={"Origin": EVIL})
            assert response.status_code == 403, (method, path)
        assert api.get(f"/sessions/{session_id}").json()["messages"] == []  # nothing ran
        assert api.get("/sessions", headers={"Origin": EVIL}).status_code == 200  # reads are not state changes


def test_local_mode_refuses_a_form_post_that_needs_no_preflight(live):
    with rest(live.url) as api:
        session_id = api.post("/sessions", json={"profile_id": "tiny"}).json()["session_id"]
        form = api.post(f"/sessions/{session_id}/messages", data={"content": "hi"})
        assert form.status_code == 415
        text = api.post(
            f"/sessions/{session_id}/messages", content=b'{"content": "hi"}', headers={"Content-Type": "text/plain"}
        )
        assert text.status_code == 415
        drf = api.post("/sessions", content=b'{"profile_id": "tiny"}', headers={"Content-Type": "text/plain"})
        assert drf.status_code == 415


@pytest.mark.asyncio
async def test_local_mode_refuses_a_websocket_from_a_foreign_origin_or_a_foreign_host(live):
    with rest(live.url) as api:
        session_id = api.post("/sessions", json={"profile_id": "tiny"}).json()["session_id"]
    url = live.ws_url(live.url, session_id)
    for origin in (EVIL, "null", "http://127.0.0.1"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url, origin=origin, open_timeout=10)
        assert refused.value.response.status_code == 403, origin
    # DNS rebinding: a page of evil.example resolved to 127.0.0.1 is same-origin with itself, but not Navi's host.
    rebound = await _raw_handshake(live.url, session_id, host="evil.example:8000", origin="http://evil.example:8000")
    assert rebound.startswith("HTTP/1.1 403"), rebound
    own = await websockets.connect(url, origin=live.url, open_timeout=10)
    assert "session_sync" in await own.recv()
    await own.close()
    port = urlsplit(live.url).port
    by_name = await websockets.connect(
        url.replace("127.0.0.1", "localhost"), origin=f"http://localhost:{port}", open_timeout=10
    )
    assert "session_sync" in await by_name.recv()
    await by_name.close()


def test_oauth_mode_refuses_cookie_requests_from_a_foreign_origin_but_not_bearer_ones(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, account) as client:
        refused = client.post("/sessions", json={"profile_id": "tiny"}, headers={"Origin": EVIL})
        assert refused.status_code == 403
        assert client.post("/auth/logout", headers={"Origin": EVIL}).status_code == 403
        assert client.get("/auth/me").status_code == 200  # the forged logout did nothing
        assert (
            client.post("/sessions", json={"profile_id": "tiny"}, headers={"Origin": oauth_navi.url}).status_code == 201
        )
    sid = mobile_sid(oauth_navi, account)
    with rest(oauth_navi.url) as app:
        created = app.post(
            "/sessions", json={"profile_id": "tiny"}, headers={"Authorization": f"Bearer {sid}", "Origin": EVIL}
        )
        assert created.status_code == 201


@pytest.mark.asyncio
async def test_oauth_mode_refuses_a_websocket_with_the_cookie_from_a_foreign_origin(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, account) as client:
        session_id = client.post("/sessions", json={"profile_id": "tiny"}).json()["session_id"]
        cookie = {"Cookie": f"navi_auth_session={client.cookies['navi_auth_session']}"}
    url = oauth_navi.ws_url(oauth_navi.url, session_id)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url, origin=EVIL, additional_headers=cookie, open_timeout=10)
    assert refused.value.response.status_code == 403
    own = await websockets.connect(url, origin=oauth_navi.url, additional_headers=cookie, open_timeout=10)
    assert "session_sync" in await own.recv()
    await own.close()


async def _raw_handshake(base: str, session_id: str, *, host: str, origin: str) -> str:
    """The status line Navi answers a WebSocket handshake with, for a Host no client library lets one forge."""
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    request = (
        f"GET /ws/sessions/{session_id} HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    writer.write(request.encode())
    await writer.drain()
    status = (await asyncio.wait_for(reader.readline(), 10)).decode().strip()
    writer.close()
    return status


def test_local_mode_checks_the_origin_even_with_a_basic_authorization_a_browser_adds_by_itself(live):
    basic = {"Origin": EVIL, "Authorization": "Basic dXNlcjpwYXNz"}
    with rest(live.url) as api:
        assert api.post("/sessions", json={"profile_id": "tiny"}, headers=basic).status_code == 403
        bearer = {"Origin": EVIL, "Authorization": "Bearer " + "x" * 43}  # local mode has no bearers to honour
        assert api.post("/sessions", json={"profile_id": "tiny"}, headers=bearer).status_code == 403


@pytest.mark.asyncio
async def test_local_mode_refuses_a_foreign_websocket_that_carries_basic_credentials(live):
    with rest(live.url) as api:
        session_id = api.post("/sessions", json={"profile_id": "tiny"}).json()["session_id"]
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            live.ws_url(live.url, session_id),
            origin=EVIL,
            additional_headers={"Authorization": "Basic dXNlcjpwYXNz"},
            open_timeout=10,
        )
    assert refused.value.response.status_code == 403


def test_the_guard_judges_the_path_the_router_sees_not_one_a_root_path_header_makes_up(live):
    with rest(live.url) as api:
        response = api.post(
            "/webhooks/sessions",
            json={"profile_id": "tiny"},
            headers={"Origin": EVIL, "Daphne-Root-Path": "/webhooks"},
        )
        assert response.status_code == 403


def test_a_cross_site_fetch_without_an_origin_is_refused_by_its_fetch_metadata(live):
    with rest(live.url) as api:
        refused = api.post("/sessions", json={"profile_id": "tiny"}, headers={"Sec-Fetch-Site": "cross-site"})
        assert refused.status_code == 403
        same = api.post("/sessions", json={"profile_id": "tiny"}, headers={"Sec-Fetch-Site": "same-origin"})
        assert same.status_code == 201


def test_local_mode_does_not_take_the_default_public_url_for_its_own_origin(live):
    """Navi on another port than 8000: a page of whatever serves localhost:8000 is a foreign origin."""
    assert urlsplit(live.url).port != 8000
    with rest(live.url) as api:
        response = api.post("/sessions", json={"profile_id": "tiny"}, headers={"Origin": "http://localhost:8000"})
        assert response.status_code == 403


def test_a_host_navi_does_not_serve_answers_json_not_djangos_page(live):
    with rest(live.url) as api:
        response = api.get("/health", headers={"Host": "evil.example"})
        assert response.status_code == 400 and response.headers["content-type"] == "application/json"
        assert "Host" in response.json()["detail"]


def test_bodies_past_a_json_endpoints_size_are_refused_before_they_are_read(live):
    with rest(live.url) as api:
        big = b'{"profile_id": "' + b"x" * 3_000_000 + b'"}'
        response = api.post("/sessions", content=big, headers={"Content-Type": "application/json"})
        assert response.status_code == 413 and "request body exceeds" in response.json()["detail"]


def test_oauth_mode_trusts_neither_of_two_auth_cookies(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, account) as client:
        mine = client.cookies["navi_auth_session"]
    with rest(oauth_navi.url) as api:
        alone = api.get("/auth/me", headers={"Cookie": f"navi_auth_session={mine}"})
        assert alone.status_code == 200
        tossed = api.get("/auth/me", headers={"Cookie": f"navi_auth_session={'a' * 43}; navi_auth_session={mine}"})
        assert tossed.status_code == 401
