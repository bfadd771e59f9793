"""Signed-in users of each permission on the `oauth_navi` server, shared by the admin tests of a test run.

Each is a real account at the test sign-in server, signed in to Navi the way a browser is (cookie) or an app is
(bearer). Role changes in the tests are made to accounts of their own, never to these.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from tests.e2e.oauth_users import Account, mobile_sid, new_account, signed_in

# Who is who: the role and the permissions the sign-in server reports.
PEOPLE = {
    "plain": ("user", ()),
    "sessions_reader": ("user", ("navi.sessions.read_all",)),
    "memory_reader": ("user", ("navi.memory.read_all",)),
    "profiles_manager": ("user", ("navi.profiles.manage",)),
    "every_permission": ("user", ("navi.sessions.read_all", "navi.memory.read_all", "navi.profiles.manage")),
    "admin": ("admin", ()),
}


@dataclass
class Person:
    account: Account
    client: httpx.Client  # carries the navi_auth_session cookie
    id: str  # the Navi user id


@pytest.fixture(scope="session")
def people(oauth_navi) -> Iterator[dict[str, Person]]:
    with ExitStack() as stack:
        signed = {}
        for name, (role, permissions) in PEOPLE.items():
            account = new_account(oauth_navi.oauth, role=role, permissions=permissions)
            client = stack.enter_context(signed_in(oauth_navi, account))
            signed[name] = Person(account=account, client=client, id=client.get("/auth/me").json()["id"])
        yield signed


@pytest.fixture(scope="session")
def bearer_of(oauth_navi, people):
    """An app's bearer token for a person (signed in through the mobile bridge), made once per person."""
    tokens: dict[str, str] = {}

    def token(name: str) -> str:
        if name not in tokens:
            tokens[name] = mobile_sid(oauth_navi, people[name].account)
        return tokens[name]

    return token


@pytest.fixture
def anonymous(oauth_navi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=oauth_navi.url, timeout=30) as client:
        yield client


def detail(response: httpx.Response) -> str:
    body = response.json()
    assert body["detail"] == body["error"], body
    return body["detail"]
