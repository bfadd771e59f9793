"""`POST /webhooks/gnexus-auth` on a real server: signature, shape, window, redelivery, and both events."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest
import websockets

from tests.conftest import WEBHOOK_SECRET
from tests.e2e.client import Socket
from tests.e2e.oauth_users import browser, new_account, signed_in


def _body(event: str, account, **user) -> bytes:
    payload = {
        "id": f"delivery-{uuid.uuid4()}",
        "event": event,
        "sent_at": int(time.time()),
        "user": {"sub": account.sub, **user},
    }
    return json.dumps(payload).encode()


def _signature(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(navi, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Gnexus-Signature"] = signature
    with browser(navi.url) as client:
        return client.post("/webhooks/gnexus-auth", content=body, headers=headers)


def test_a_missing_or_wrong_signature_answers_401_and_changes_nothing(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, account) as client:
        body = _body("user.updated", account, display_name="Hijacked")
        assert _post(oauth_navi, body, None).status_code == 401
        assert _post(oauth_navi, body, _signature(body, "another-secret")).status_code == 401
        assert _post(oauth_navi, body, _signature(body)[:-2]).status_code == 401
        assert _post(oauth_navi, body + b" ", _signature(body)).status_code == 401  # the raw body is what is signed
        assert client.get("/auth/me").json()["display_name"] == account.display_name


@pytest.mark.parametrize(
    "payload, complaint",
    [
        ({"event": "user.updated", "sent_at": "now", "user": {"sub": "x"}}, "id"),
        ({"id": "d", "event": "user.renamed", "sent_at": 0, "user": {"sub": "x"}}, "event"),
        ({"id": "d", "event": "user.updated", "sent_at": True, "user": {"sub": "x"}}, "sent_at"),
        ({"id": "d", "event": "user.updated", "user": {"sub": "x"}}, "sent_at"),
        ({"id": "d", "event": "user.updated", "sent_at": "NOW", "user": []}, "user"),
        ({"id": "d", "event": "user.updated", "sent_at": "NOW", "user": {"email": "a@b"}}, "sub"),
        ({"id": "d", "event": "user.updated", "sent_at": "NOW", "user": {"sub": "x", "role": "root"}}, "role"),
        ({"id": "d", "event": "user.updated", "sent_at": "NOW", "user": {"sub": "x", "permissions": "all"}}, "perm"),
        ({"id": "d", "event": "user.updated", "sent_at": "NOW", "user": {"sub": "x", "email": 3}}, "email"),
        ([1, 2], "object"),
    ],
)
def test_a_signed_body_of_the_wrong_shape_answers_400_naming_the_field(oauth_navi, payload, complaint):
    if isinstance(payload, dict) and payload.get("sent_at") == "NOW":
        payload["sent_at"] = int(time.time())
    body = json.dumps(payload).encode()
    response = _post(oauth_navi, body, _signature(body))
    assert response.status_code == 400 and complaint in response.json()["detail"]


def test_a_body_that_is_not_json_answers_400(oauth_navi):
    body = b"{not json"
    assert _post(oauth_navi, body, _signature(body)).status_code == 400


def test_a_delivery_sent_more_than_five_minutes_from_now_answers_400(oauth_navi):
    account = new_account(oauth_navi.oauth)
    for skew in (-330, 330):  # past the 300 s window by more than the time a request takes
        payload = json.loads(_body("user.deleted", account))
        payload["sent_at"] = int(time.time()) + skew
        body = json.dumps(payload).encode()
        response = _post(oauth_navi, body, _signature(body))
        assert response.status_code == 400 and "sent_at" in response.json()["detail"]


def test_user_updated_refreshes_the_user_and_a_redelivery_changes_nothing(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, account) as client:
        body = _body(
            "user.updated",
            account,
            email="new@example.test",
            display_name="New Name",
            role="user",
            permissions=["navi.sessions.read_all"],
        )
        first = _post(oauth_navi, body, _signature(body))
        assert first.status_code == 200 and first.json() == {"ok": True}
        me = client.get("/auth/me").json()
        assert (me["email"], me["display_name"], me["permissions"]) == (
            "new@example.test",
            "New Name",
            ["navi.sessions.read_all"],
        )
        # Something else changes the user; a redelivery of the old event must not undo it.
        later = _body("user.updated", account, display_name="Newest Name")
        assert _post(oauth_navi, later, _signature(later)).status_code == 200
        again = _post(oauth_navi, body, _signature(body))
        assert again.status_code == 200 and again.json()["ok"] is True
        assert client.get("/auth/me").json()["display_name"] == "Newest Name"


def test_user_updated_for_an_unknown_sub_answers_200(oauth_navi):
    body = json.dumps(
        {"id": f"d-{uuid.uuid4()}", "event": "user.updated", "sent_at": time.time(), "user": {"sub": "nobody-here"}}
    ).encode()
    assert _post(oauth_navi, body, _signature(body)).json() == {"ok": True}


@pytest.mark.asyncio
async def test_user_deleted_ends_every_session_of_the_user_and_closes_their_sockets(oauth_navi):
    account, bystander = new_account(oauth_navi.oauth), new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, account) as first, signed_in(oauth_navi, account) as second:
        with signed_in(oauth_navi, bystander) as other:
            session_id = first.post("/sessions", json={"profile_id": "tiny"}).json()["session_id"]
            cookie = f"navi_auth_session={first.cookies['navi_auth_session']}"
            ws = await websockets.connect(
                oauth_navi.ws_url(oauth_navi.url, session_id), additional_headers={"Cookie": cookie}, open_timeout=10
            )
            socket = Socket(ws)
            assert (await socket.next())["type"] == "session_sync"
            body = _body("user.deleted", account)
            assert _post(oauth_navi, body, _signature(body)).json() == {"ok": True}
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await socket.next(timeout=10)
            assert closed.value.rcvd.code == 4001
            assert first.get("/auth/me").status_code == 401
            assert second.get("/sessions").status_code == 401
            assert other.get("/auth/me").status_code == 200  # nobody else is signed out
    # A deleted user who still gets past the provider is not let back in.
    from tests.e2e.oauth_users import PASSWORD
    from tests.oauth_server.browser_login import login

    with browser(oauth_navi.url) as client:
        response = login(client, oauth_navi.url, username=account.username, password=PASSWORD)
        assert response.status_code == 403 and "deactivated" in response.text
        assert client.get("/auth/me").status_code == 401


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id": "d-nan", "event": "user.updated", "sent_at": NaN, "user": {"sub": "x"}}',
        b'{"id": "d-big", "event": "user.updated", "sent_at": 1' + b"0" * 400 + b', "user": {"sub": "x"}}',
        b'{"id": "d-\\ud800", "event": "user.updated", "sent_at": SENT, "user": {"sub": "x"}}',
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=["nan", "huge-integer", "lone-surrogate", "deep-nesting"],
)
def test_hostile_signed_bodies_answer_400_not_500(oauth_navi, raw):
    body = raw.replace(b"SENT", str(int(time.time())).encode())
    response = _post(oauth_navi, body, _signature(body))
    assert response.status_code == 400 and response.headers["content-type"] == "application/json"
