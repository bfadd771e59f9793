"""Accounts at the test authorization server, and signed-in httpx clients of an `oauth_navi` server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from tests.oauth_server.browser_login import login

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Account:
    username: str
    sub: str
    email: str
    display_name: str


def new_account(oauth_server, *, role: str = "user", permissions: tuple[str, ...] = ()) -> Account:
    name = f"user-{uuid.uuid4().hex[:10]}"
    email, display_name = f"{name}@example.test", f"User {name[-4:]}"
    sub = oauth_server.create_account(
        username=name, password=PASSWORD, email=email, display_name=display_name, role=role, permissions=permissions
    )
    return Account(username=name, sub=sub, email=email, display_name=display_name)


def browser(base_url: str) -> httpx.Client:
    """A client with a cookie jar, like one browser (no Origin header: the cross-site tests send their own)."""
    return httpx.Client(base_url=base_url, timeout=30)


@contextmanager
def signed_in(navi, account: Account) -> Iterator[httpx.Client]:
    with browser(navi.url) as client:
        response = login(client, navi.url, username=account.username, password=PASSWORD)
        assert response.status_code == 302 and response.headers["location"] == "/", response.text
        yield client


def mobile_sid(navi, account: Account) -> str:
    """The auth session id the mobile bridge hands to the app."""
    with browser(navi.url) as client:
        response = login(client, navi.url, username=account.username, password=PASSWORD, mobile=True)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith("/auth/mobile-done?sid="), location
        return location.split("sid=", 1)[1]
