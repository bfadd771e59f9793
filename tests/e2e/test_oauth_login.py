"""Signing in through a real authorization server (django-oauth-toolkit) over real HTTP, on both backends."""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest
import websockets

from tests.e2e.client import connect
from tests.e2e.oauth_users import PASSWORD, browser, mobile_sid, new_account, signed_in
from tests.oauth_server.browser_login import authorize, login_start


def _sql(navi, statement: str) -> None:
    """Change the e2e server's database directly (for what only time would do, like a login going stale)."""
    url = navi.env["DATABASE_URL"]
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement)
    else:
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute(statement)


def test_login_redirects_with_pkce_and_the_redirect_uri_of_the_public_url(oauth_navi):
    with browser(oauth_navi.url) as client:
        # A Host Navi answers to, but not its public name: the redirect URI must not follow it.
        port = urlsplit(oauth_navi.url).port
        response = client.get("/auth/login", headers={"Host": f"localhost:{port}"}, follow_redirects=False)
        assert response.status_code == 302
        target = urlsplit(response.headers["location"])
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oauth_navi.oauth.url}/oauth/authorize"
        assert query["response_type"] == "code" and query["client_id"] == oauth_navi.oauth.client_id
        assert query["redirect_uri"] == f"{oauth_navi.url}/auth/callback"
        assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
        assert len(query["state"]) >= 22
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("navi_login=") and "HttpOnly" in cookie and "Path=/auth/" in cookie
        assert response.headers["cache-control"] == "no-store"


def test_login_sets_the_auth_cookie_and_me_answers_the_user_of_the_sub(oauth_navi):
    account = new_account(oauth_navi.oauth, permissions=("navi.memory.read_all",))
    with browser(oauth_navi.url) as client:
        assert client.get("/auth/me").status_code == 401
        from tests.oauth_server.browser_login import login

        response = login(client, oauth_navi.url, username=account.username, password=PASSWORD)
        assert response.status_code == 302 and response.headers["location"] == "/"
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("navi_auth_session="))
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
        assert "secure" not in flags  # NAVI_PUBLIC_URL is http here
        me = client.get("/auth/me")
        assert me.status_code == 200
        assert me.json() == {
            "id": me.json()["id"],
            "email": account.email,
            "display_name": account.display_name,
            "role": "user",
            "permissions": ["navi.memory.read_all"],
        }
    # A second login is the same user (one user per sub), with the fields as the server now says.
    oauth_navi.oauth.set_account(username=account.username, role="admin", display_name="Renamed")
    with signed_in(oauth_navi, account) as again:
        me_again = again.get("/auth/me").json()
        assert me_again["id"] == me.json()["id"]
        assert me_again["role"] == "admin" and me_again["display_name"] == "Renamed"
        assert set(me_again["permissions"]) == {
            "navi.sessions.read_all",
            "navi.memory.read_all",
            "navi.profiles.manage",
        }


def test_every_private_endpoint_answers_401_json_without_a_sign_in(oauth_navi):
    with browser(oauth_navi.url) as client:
        for method, path in [
            ("GET", "/auth/me"),
            ("GET", "/sessions"),
            ("POST", "/sessions"),
            ("GET", "/agents/profiles"),
            ("GET", "/agents/tools"),
            ("POST", "/auth/logout"),
            ("POST", "/sessions/00000000-0000-0000-0000-000000000000/messages"),
            ("POST", "/sessions/00000000-0000-0000-0000-000000000000/generate-name"),
            ("GET", "/sessions/00000000-0000-0000-0000-000000000000/files/a.txt"),
        ]:
            response = client.request(method, path, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["content-type"] == "application/json", (method, path)
        assert client.get("/health").status_code == 200
        assert client.get("/").status_code == 200
        assert client.get("/static/js/app.js").status_code == 200
        bad = client.get("/sessions", headers={"Authorization": "Bearer " + "x" * 43})
        assert bad.status_code == 401


@pytest.mark.asyncio
async def test_a_websocket_without_a_sign_in_is_closed_with_4001(oauth_navi):
    socket = await connect(oauth_navi.ws_url(oauth_navi.url, "00000000-0000-0000-0000-000000000000"))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await socket.next()
    assert closed.value.rcvd.code == 4001


def test_the_mobile_login_ends_at_the_bridge_page_and_its_sid_works_as_a_bearer(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with browser(oauth_navi.url) as client:
        from tests.oauth_server.browser_login import login

        response = login(client, oauth_navi.url, username=account.username, password=PASSWORD, mobile=True)
        assert response.status_code == 302 and "navi_auth_session" not in response.headers.get("set-cookie", "")
        bridge = client.get(response.headers["location"])
        sid = response.headers["location"].split("sid=", 1)[1]
    assert bridge.status_code == 200
    assert bridge.headers["cache-control"] == "no-store" and bridge.headers["referrer-policy"] == "no-referrer"
    policy = bridge.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert f'href="intent://auth?sid={sid}#Intent;scheme=navi;package=app.navi;end"' in bridge.text
    assert f'href="navi://auth?sid={sid}"' in bridge.text
    with browser(oauth_navi.url) as app:
        me = app.get("/auth/me", headers={"Authorization": f"Bearer {sid}"})
        assert me.status_code == 200 and me.json()["email"] == account.email


def test_the_bridge_page_refuses_a_sid_that_is_not_token_shaped(oauth_navi):
    with browser(oauth_navi.url) as client:
        for sid in ['"><script>alert(1)</script>', "", "a" * 42, "a" * 44]:
            response = client.get("/auth/mobile-done", params={"sid": sid})
            assert response.status_code == 400, sid
            assert "<script>alert" not in response.text
            assert response.headers["cache-control"] == "no-store"


def test_logout_ends_the_cookie_session_and_the_bearer_session(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, account) as client:
        assert client.get("/sessions").status_code == 200
        old_cookie = client.cookies["navi_auth_session"]
        response = client.post("/auth/logout")
        assert response.status_code == 200 and response.json() == {"ok": True}
        assert 'navi_auth_session=""' in response.headers["set-cookie"]
    with browser(oauth_navi.url) as stale:
        stale.cookies.set("navi_auth_session", old_cookie)
        assert stale.get("/auth/me").status_code == 401
    sid = mobile_sid(oauth_navi, account)
    with browser(oauth_navi.url) as app:
        bearer = {"Authorization": f"Bearer {sid}"}
        assert app.post("/auth/logout", headers=bearer).json() == {"ok": True}
        assert app.get("/auth/me", headers=bearer).status_code == 401


@pytest.mark.asyncio
async def test_logout_closes_the_sockets_opened_with_that_session(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, account) as client:
        session_id = client.post("/sessions", json={"profile_id": "tiny"}).json()["session_id"]
        cookie = f"navi_auth_session={client.cookies['navi_auth_session']}"
        ws = await websockets.connect(
            oauth_navi.ws_url(oauth_navi.url, session_id), additional_headers={"Cookie": cookie}, open_timeout=10
        )
        from tests.e2e.client import Socket

        socket = Socket(ws)
        assert (await socket.next())["type"] == "session_sync"
        assert client.post("/auth/logout").status_code == 200
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.next(timeout=10)
        assert closed.value.rcvd.code == 4001


def test_a_forged_or_missing_state_logs_nobody_in(oauth_navi):
    with browser(oauth_navi.url) as client:
        login_start(client, oauth_navi.url)
        for query in ({"code": "abc", "state": "forged-state-value"}, {"code": "abc"}, {}):
            response = client.get("/auth/callback", params=query, follow_redirects=False)
            assert response.status_code == 400, query
            assert "navi_auth_session" not in response.headers.get("set-cookie", "")
            assert "Traceback" not in response.text and "Sign-in failed" in response.text


def test_a_callback_used_twice_is_refused_the_second_time(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with browser(oauth_navi.url) as client:
        callback = authorize(client, login_start(client, oauth_navi.url), username=account.username, password=PASSWORD)
        assert client.get(callback, follow_redirects=False).status_code == 302
        replayed = client.get(callback, follow_redirects=False)
        assert replayed.status_code == 400 and "already used" in replayed.text


def test_a_login_older_than_ten_minutes_is_refused(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with browser(oauth_navi.url) as client:
        callback = authorize(client, login_start(client, oauth_navi.url), username=account.username, password=PASSWORD)
        if oauth_navi.env["DATABASE_URL"].startswith("postgres"):
            _sql(oauth_navi, "UPDATE accounts_app_loginattempt SET created_at = created_at - interval '11 minutes'")
        else:
            _sql(oauth_navi, "UPDATE accounts_app_loginattempt SET created_at = datetime(created_at, '-11 minutes')")
        expired = client.get(callback, follow_redirects=False)
        assert expired.status_code == 400 and "10 minutes" in expired.text
        assert "navi_auth_session" not in expired.headers.get("set-cookie", "")


def test_a_callback_from_another_browsers_login_is_refused(oauth_navi):
    """Login CSRF: an attacker signs in in their own browser and hands the victim the callback URL."""
    attacker_account = new_account(oauth_navi.oauth)
    with browser(oauth_navi.url) as attacker, browser(oauth_navi.url) as victim:
        callback = authorize(
            attacker, login_start(attacker, oauth_navi.url), username=attacker_account.username, password=PASSWORD
        )
        login_start(victim, oauth_navi.url)  # the victim has a login cookie of its own
        response = victim.get(callback, follow_redirects=False)
        assert response.status_code == 400 and "another browser" in response.text
        assert victim.get("/auth/me").status_code == 401


def test_a_code_swapped_into_another_login_fails_its_pkce_verifier(oauth_navi):
    """The victim's own state with the attacker's code: the verifier Navi holds does not match that code."""
    attacker_account = new_account(oauth_navi.oauth)
    with browser(oauth_navi.url) as attacker, browser(oauth_navi.url) as victim:
        attacker_callback = authorize(
            attacker, login_start(attacker, oauth_navi.url), username=attacker_account.username, password=PASSWORD
        )
        code = parse_qs(urlsplit(attacker_callback).query)["code"][0]
        victim_state = parse_qs(urlsplit(login_start(victim, oauth_navi.url)).query)["state"][0]
        response = victim.get("/auth/callback", params={"code": code, "state": victim_state}, follow_redirects=False)
        assert response.status_code == 400 and "invalid_grant" in response.text
        assert victim.get("/auth/me").status_code == 401


def test_the_provider_refusing_the_login_is_a_clear_400(oauth_navi):
    with browser(oauth_navi.url) as client:
        state = parse_qs(urlsplit(login_start(client, oauth_navi.url)).query)["state"][0]
        response = client.get("/auth/callback", params={"error": "access_denied", "state": state})
        assert response.status_code == 400 and "access_denied" in response.text


def test_the_provider_down_at_the_callback_is_a_502_page_not_a_traceback(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with browser(oauth_navi.url) as client:
        callback = authorize(client, login_start(client, oauth_navi.url), username=account.username, password=PASSWORD)
        oauth_navi.oauth.stop()
        try:
            response = client.get(callback, follow_redirects=False)
        finally:
            oauth_navi.oauth.restart()
        assert response.status_code == 502
        assert "Sign-in server unavailable" in response.text and "could not be reached" in response.text
        assert "Traceback" not in response.text
        assert client.get("/auth/me").status_code == 401


def test_an_admin_reaches_the_django_admin_through_the_navi_login_and_a_user_does_not(oauth_navi):
    admin, user = new_account(oauth_navi.oauth, role="admin"), new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, admin) as client:
        page = client.get("/django-admin/")
        assert page.status_code == 200 and "/django-admin/accounts_app/user/" in page.text
    with signed_in(oauth_navi, user) as client:
        page = client.get("/django-admin/", follow_redirects=False)
        assert page.status_code == 302 and "/django-admin/login/" in page.headers["location"]


def test_a_used_login_cookie_is_cleared_so_the_next_login_binds_a_fresh_one(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with browser(oauth_navi.url) as client:
        callback = authorize(client, login_start(client, oauth_navi.url), username=account.username, password=PASSWORD)
        response = client.get(callback, follow_redirects=False)
        assert response.status_code == 302
        cleared = [c for c in response.headers.get_list("set-cookie") if c.startswith("navi_login=")]
        assert cleared and ("Max-Age=0" in cleared[0] or "expires=Thu, 01 Jan 1970" in cleared[0])
