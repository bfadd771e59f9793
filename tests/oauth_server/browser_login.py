"""Sign in to Navi through the test authorization server the way a browser does, one step at a time.

Each step returns the URL the next one needs, so a test can change or replay anything in between. One
httpx.Client carries the cookies of both servers (Navi's `navi_login`, the provider's `gnexus_sessionid`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx


class LoginError(AssertionError):
    """A step of the sign-in did not answer as a working login would."""


@dataclass
class _Form:
    action: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


class _PostFormParser(HTMLParser):
    """The first `<form method="post">` of a page: its action and the names and values of its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.form: _Form | None = None
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and self.form is None and attributes.get("method", "").lower() == "post":
            self.form = _Form(action=attributes.get("action"))
            self._inside = True
        elif tag == "input" and self._inside and self.form is not None and attributes.get("name"):
            self.form.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _location(response: httpx.Response) -> str:
    if response.status_code not in (301, 302, 303, 307, 308) or "location" not in response.headers:
        raise LoginError(
            f"{response.request.method} {response.request.url} answered {response.status_code}, not a redirect:\n"
            f"{response.text[:1000]}"
        )
    return urljoin(str(response.request.url), response.headers["location"])


def login_start(client: httpx.Client, navi_url: str, *, mobile: bool = False) -> str:
    """Ask Navi to start a sign-in; returns the authorize URL it sends the browser to.

    Navi answers with its `navi_login` cookie, which the client's cookie jar keeps for the callback.
    """
    params = {"mobile": "1"} if mobile else None
    response = client.get(f"{navi_url.rstrip('/')}/auth/login", params=params, follow_redirects=False)
    if response.status_code != 302:
        raise LoginError(f"GET /auth/login answered {response.status_code}, not 302:\n{response.text[:1000]}")
    return _location(response)


def authorize(client: httpx.Client, authorize_url: str, *, username: str, password: str) -> str:
    """Open the authorize URL, sign in on the provider's form, and return the callback URL it redirects to.

    The callback (Navi's `/auth/callback?code=...&state=...`) is not requested. When the client is signed in at
    the provider already, there is no form and the authorize URL redirects to the callback straight away.
    """
    provider = _origin(authorize_url)
    location = _location(client.get(authorize_url, follow_redirects=False))
    if _origin(location) == provider and urlsplit(location).path == "/accounts/login/":
        page = client.get(location, follow_redirects=False)
        if page.status_code != 200:
            raise LoginError(f"The login form answered {page.status_code}:\n{page.text[:1000]}")
        parser = _PostFormParser()
        parser.feed(page.text)
        if parser.form is None or "csrfmiddlewaretoken" not in parser.form.fields:
            raise LoginError(f"No login form with a CSRF token at {location}:\n{page.text[:1000]}")
        data = {**parser.form.fields, "username": username, "password": password}
        action = urljoin(location, parser.form.action or location)
        # The provider's CSRF check compares the Referer with its own origin.
        response = client.post(action, data=data, headers={"Referer": location}, follow_redirects=False)
        if response.status_code == 200:
            raise LoginError(f"The provider refused the login of {username!r}")
        back_to_authorize = _location(response)
        location = _location(client.get(back_to_authorize, follow_redirects=False))
    if _origin(location) == provider:
        raise LoginError(f"The provider did not send the browser back to the client, but to {location}")
    return location


def login(client: httpx.Client, navi_url: str, *, username: str, password: str, mobile: bool = False) -> httpx.Response:
    """The whole sign-in: start at Navi, sign in at the provider, and return Navi's answer to the callback."""
    authorize_url = login_start(client, navi_url, mobile=mobile)
    callback_url = authorize(client, authorize_url, username=username, password=password)
    return client.get(callback_url, follow_redirects=False)
