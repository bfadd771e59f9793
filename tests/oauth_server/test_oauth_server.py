"""The test authorization server itself: code flow with PKCE, its refusals, claims, restarts and the login driver."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from jwcrypto import jwk, jwt

from tests.oauth_server.browser_login import LoginError, authorize, login
from tests.oauth_server.process import OAuthServer, OAuthServerError

# Read from the provider's redirect, never requested: nothing listens on port 9.
REDIRECT_URI = "http://127.0.0.1:9/auth/callback"
# A stand-in for Navi, answered in-process by an httpx mock transport.
FAKE_NAVI = "http://navi.test"
SCOPE = "openid profile email"


@pytest.fixture(scope="module")
def oauth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OAuthServer]:
    # One server for the module: migrating and starting costs a few seconds; each test makes its own accounts.
    server = OAuthServer(workdir=tmp_path_factory.mktemp("oauth_server"))
    server.start(redirect_uris=[REDIRECT_URI, f"{FAKE_NAVI}/auth/callback"])
    yield server
    server.stop()


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def new_user(oauth_server: OAuthServer, **overrides) -> dict:
    username = f"user-{secrets.token_hex(4)}"
    account = {
        "username": username,
        "password": f"pw-{secrets.token_hex(8)}",
        "email": f"{username}@example.org",
        "display_name": f"Display {username}",
        "role": "user",
        "permissions": ["chat", "files.read"],
        **overrides,
    }
    account["sub"] = oauth_server.create_account(**account)
    return account


def oauth_client(oauth_server: OAuthServer, *, scope: str = SCOPE, **kwargs) -> OAuth2Client:
    kwargs.setdefault("client_secret", oauth_server.client_secret)
    return OAuth2Client(
        client_id=oauth_server.client_id,
        scope=scope,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        timeout=10,
        **kwargs,
    )


def authorization_code(oauth_server: OAuthServer, browser: httpx.Client, user: dict) -> tuple[str, str]:
    """Sign in with PKCE S256; returns (code, code_verifier)."""
    verifier = generate_token(48)
    with oauth_client(oauth_server) as client:
        url, state = client.create_authorization_url(f"{oauth_server.url}/oauth/authorize", code_verifier=verifier)
    callback = authorize(browser, url, username=user["username"], password=user["password"])
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == [state]
    return query["code"][0], verifier


def token_request(oauth_server: OAuthServer, code: str, verifier: str, *, secret: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{oauth_server.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(oauth_server.client_id, secret if secret is not None else oauth_server.client_secret),
        timeout=10,
    )


def userinfo(oauth_server: OAuthServer, access_token: str) -> httpx.Response:
    return httpx.get(
        f"{oauth_server.url}/oauth/userinfo", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )


def expected_claims(user: dict) -> dict:
    return {
        "sub": user["sub"],
        "email": user["email"],
        "display_name": user["display_name"],
        "name": user["display_name"],
        "role": user["role"],
        "permissions": user["permissions"],
    }


def test_code_flow_with_pkce_gives_the_accounts_claims(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    user = new_user(oauth_server, role="admin", permissions=["admin.users", "chat"])
    verifier = generate_token(48)
    with oauth_client(oauth_server) as client:
        url, state = client.create_authorization_url(f"{oauth_server.url}/oauth/authorize", code_verifier=verifier)
        assert parse_qs(urlsplit(url).query)["code_challenge"] == [create_s256_code_challenge(verifier)]

        callback = authorize(browser, url, username=user["username"], password=user["password"])
        assert callback.startswith(f"{REDIRECT_URI}?")
        assert parse_qs(urlsplit(callback).query)["state"] == [state]

        token = client.fetch_token(
            f"{oauth_server.url}/oauth/token", authorization_response=callback, code_verifier=verifier
        )
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == set(SCOPE.split())

    response = userinfo(oauth_server, token["access_token"])
    assert response.status_code == 200, response.text
    claims = response.json()
    assert {key: claims.get(key) for key in expected_claims(user)} == expected_claims(user)
    assert len(user["sub"]) == 36  # a UUID, not the user's integer key

    # The ID token carries the same claims, signed with the key the JWKS publishes.
    keys = jwk.JWKSet.from_json(httpx.get(f"{oauth_server.url}/oauth/jwks", timeout=10).text)
    id_token = json.loads(jwt.JWT(jwt=token["id_token"], key=keys, algs=["RS256"]).claims)
    assert id_token["iss"] == oauth_server.url
    assert id_token["aud"] == oauth_server.client_id
    assert {key: id_token.get(key) for key in expected_claims(user)} == expected_claims(user)

    # The provider's cookies must not overwrite Navi's on the shared host.
    names = {cookie.name for cookie in browser.cookies.jar}
    assert "gnexus_sessionid" in names
    assert not names & {"sessionid", "csrftoken"}


def test_claims_follow_the_granted_scopes(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    user = new_user(oauth_server)
    verifier = generate_token(48)
    with oauth_client(oauth_server, scope="openid") as client:
        url, _ = client.create_authorization_url(f"{oauth_server.url}/oauth/authorize", code_verifier=verifier)
        callback = authorize(browser, url, username=user["username"], password=user["password"])
        token = client.fetch_token(
            f"{oauth_server.url}/oauth/token", authorization_response=callback, code_verifier=verifier
        )
    claims = userinfo(oauth_server, token["access_token"]).json()
    assert claims["sub"] == user["sub"]
    assert not {"email", "role", "permissions", "display_name"} & set(claims)


def test_discovery_names_the_endpoints_and_s256_only(oauth_server: OAuthServer) -> None:
    config = httpx.get(f"{oauth_server.url}/.well-known/openid-configuration", timeout=10).json()
    assert config["issuer"] == oauth_server.url
    assert config["authorization_endpoint"] == f"{oauth_server.url}/oauth/authorize"
    assert config["token_endpoint"] == f"{oauth_server.url}/oauth/token"
    assert config["userinfo_endpoint"] == f"{oauth_server.url}/oauth/userinfo"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert {"sub", "email", "display_name", "role", "permissions"} <= set(config["claims_supported"])


def _authorize_url(oauth_server: OAuthServer, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": oauth_server.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "state": "st-1",
        **params,
    }
    return f"{oauth_server.url}/oauth/authorize?{urlencode(query)}"


def test_authorize_without_code_challenge_is_refused(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    user = new_user(oauth_server)
    callback = authorize(browser, _authorize_url(oauth_server), username=user["username"], password=user["password"])
    query = parse_qs(urlsplit(callback).query)
    assert query.get("error") == ["invalid_request"]
    assert "code" not in query


def test_plain_code_challenge_is_refused(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    user = new_user(oauth_server)
    url = _authorize_url(oauth_server, code_challenge="a" * 43, code_challenge_method="plain")
    query = parse_qs(urlsplit(authorize(browser, url, username=user["username"], password=user["password"])).query)
    assert query.get("error") == ["invalid_request"]
    assert "code" not in query


def test_unregistered_redirect_uri_is_refused_without_redirecting(
    oauth_server: OAuthServer, browser: httpx.Client
) -> None:
    user = new_user(oauth_server)
    challenge = create_s256_code_challenge(generate_token(48))
    good = _authorize_url(oauth_server, code_challenge=challenge, code_challenge_method="S256")
    authorize(browser, good, username=user["username"], password=user["password"])  # signs the browser in
    bad = _authorize_url(
        oauth_server,
        redirect_uri="http://127.0.0.1:9/elsewhere",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    response = browser.get(bad, follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers


def test_wrong_code_verifier_is_refused(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    code, verifier = authorization_code(oauth_server, browser, new_user(oauth_server))
    response = token_request(oauth_server, code, generate_token(48))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.json()


def test_wrong_client_secret_is_refused(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    code, verifier = authorization_code(oauth_server, browser, new_user(oauth_server))
    response = token_request(oauth_server, code, verifier, secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    # The code itself was good: the right secret still redeems it.
    assert token_request(oauth_server, code, verifier).status_code == 200


def test_a_code_is_redeemed_once(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    code, verifier = authorization_code(oauth_server, browser, new_user(oauth_server))
    assert token_request(oauth_server, code, verifier).status_code == 200
    again = token_request(oauth_server, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_wrong_password_is_refused_by_the_form(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    user = new_user(oauth_server)
    verifier = generate_token(48)
    with oauth_client(oauth_server) as client:
        url, _ = client.create_authorization_url(f"{oauth_server.url}/oauth/authorize", code_verifier=verifier)
    with pytest.raises(LoginError, match="refused the login"):
        authorize(browser, url, username=user["username"], password="wrong")


def test_second_authorize_skips_the_form(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    user = new_user(oauth_server)
    authorization_code(oauth_server, browser, user)
    # Signed in at the provider now: a wrong password is never asked for, so it cannot fail the login.
    code, verifier = authorization_code(oauth_server, browser, {**user, "password": "unused"})
    assert token_request(oauth_server, code, verifier).status_code == 200


def test_userinfo_follows_account_changes(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    user = new_user(oauth_server)
    code, verifier = authorization_code(oauth_server, browser, user)
    access_token = token_request(oauth_server, code, verifier).json()["access_token"]

    oauth_server.set_account(username=user["username"], role="admin", permissions=[], display_name="Renamed")
    claims = userinfo(oauth_server, access_token).json()
    assert (claims["sub"], claims["role"], claims["permissions"], claims["display_name"]) == (
        user["sub"],
        "admin",
        [],
        "Renamed",
    )


def test_userinfo_refuses_a_bad_token(oauth_server: OAuthServer) -> None:
    assert userinfo(oauth_server, "not-a-token").status_code == 401


def test_restart_keeps_port_accounts_tokens_and_key(oauth_server: OAuthServer, browser: httpx.Client) -> None:
    user = new_user(oauth_server)
    code, verifier = authorization_code(oauth_server, browser, user)
    access_token = token_request(oauth_server, code, verifier).json()["access_token"]
    url = oauth_server.url
    keys_before = httpx.get(f"{url}/oauth/jwks", timeout=10).json()

    oauth_server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/oauth/jwks", timeout=2)
    oauth_server.restart()

    assert oauth_server.url == url
    assert httpx.get(f"{url}/oauth/jwks", timeout=10).json() == keys_before
    assert userinfo(oauth_server, access_token).json()["sub"] == user["sub"]


def _fake_navi(oauth_server: OAuthServer) -> httpx.MockTransport:
    """A minimal relying party: /auth/login sets `navi_login` and redirects; /auth/callback redeems the code."""
    pending: dict[str, str] = {}  # login cookie -> code verifier
    redirect_uri = f"{FAKE_NAVI}/auth/callback"

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/login":
            login_id, verifier = secrets.token_urlsafe(16), generate_token(48)
            pending[login_id] = verifier
            query = {
                "response_type": "code",
                "client_id": oauth_server.client_id,
                "redirect_uri": redirect_uri,
                "scope": SCOPE,
                "state": login_id + ("-mobile" if request.url.params.get("mobile") == "1" else ""),
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            }
            return httpx.Response(
                302,
                headers={
                    "Location": f"{oauth_server.url}/oauth/authorize?{urlencode(query)}",
                    "Set-Cookie": f"navi_login={login_id}; Path=/; HttpOnly",
                },
            )
        if request.url.path == "/auth/callback":
            login_id = request.headers.get("cookie", "").partition("navi_login=")[2].split(";")[0]
            verifier = pending.pop(login_id)
            token = httpx.post(
                f"{oauth_server.url}/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": request.url.params["code"],
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                auth=(oauth_server.client_id, oauth_server.client_secret),
                timeout=10,
            ).json()
            claims = userinfo(oauth_server, token["access_token"]).json()
            body = {"state": request.url.params["state"], "claims": claims}
            return httpx.Response(302, headers={"Location": "/"}, content=json.dumps(body).encode())
        return httpx.Response(404)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize("mobile", [False, True])
def test_login_driver_against_a_fake_relying_party(oauth_server: OAuthServer, mobile: bool) -> None:
    user = new_user(oauth_server)
    with httpx.Client(mounts={FAKE_NAVI: _fake_navi(oauth_server)}, timeout=10) as client:
        response = login(client, FAKE_NAVI, username=user["username"], password=user["password"], mobile=mobile)
    assert response.status_code == 302
    body = json.loads(response.content)
    assert body["state"].endswith("-mobile") is mobile
    assert body["claims"]["sub"] == user["sub"]


def test_a_failed_start_reports_the_servers_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = OAuthServer(workdir=tmp_path, port=taken.getsockname()[1], start_timeout=15)
        with pytest.raises(OAuthServerError, match="already in use"):
            server.start(redirect_uris=[REDIRECT_URI])
    assert not server.running
