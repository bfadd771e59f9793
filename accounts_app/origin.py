"""Cross-site protection (CONTRACT section 5): a request or WebSocket handshake from another origin is refused.

Browsers send `Origin` on every cross-origin POST and on every WebSocket handshake, and a page cannot forge it.
Only what a browser sends on its own is at risk (the cookie, or local mode's implicit owner), so bearer requests
in `oauth` mode (a foreign page cannot add the header without a CORS preflight Navi never grants) and requests
without an Origin (native and command-line clients) are not checked. Any other Authorization header (Basic from
a reverse proxy, which browsers do attach on their own) counts for nothing here. A DNS-rebound name is caught by
the Host check: Django's ALLOWED_HOSTS for HTTP, and the same list here for WebSockets.
"""

from __future__ import annotations

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from accounts_app.auth import bearer_token
from navi_project.config import url_origin

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Signed by HMAC rather than carried by a browser's credentials.
UNCHECKED_PATHS = ("/webhooks/",)


def own_origins(*, scheme: str, host: str) -> set[str]:
    """The server's own origins: the scheme and Host this request came in on, and NAVI_PUBLIC_URL's (in local
    mode only when it was set: its default, localhost:8000, may be another program's when Navi runs elsewhere)."""
    origins = {url_origin(f"{scheme}://{host}")}
    if settings.NAVI_AUTH_MODE == "oauth" or settings.NAVI_PUBLIC_URL_SET:
        origins.add(url_origin(settings.NAVI_PUBLIC_URL))
    return origins


def carries_bearer(authorization: str | None) -> bool:
    """A real bearer in `oauth` mode: judged by itself, with no browser credentials to protect."""
    return settings.NAVI_AUTH_MODE == "oauth" and bool(bearer_token(authorization))


def origin_allowed(*, origin: str | None, scheme: str, host: str, fetch_site: str | None = None) -> bool:
    if origin is None:
        # Browsers send Origin on these requests; a cross-site fetch that somehow lacks it is refused all the same.
        return fetch_site != "cross-site"
    try:
        return url_origin(origin) in own_origins(scheme=scheme, host=host) and origin.count("/") == 2
    except ValueError:  # a port that is not a number
        return False


def host_allowed(host: str) -> bool:
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


def request_needs_origin_check(*, method: str, path: str, authorization: str | None) -> bool:
    return method in UNSAFE_METHODS and not carries_bearer(authorization) and not path.startswith(UNCHECKED_PATHS)


class WebSocketOriginGuard:
    """Refuses the handshake (HTTP 403) of a WebSocket from a foreign origin or to a host Navi does not serve."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not self._allowed(scope):
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.close", "code": 1008})
            return None
        return await self.app(scope, receive, send)

    @staticmethod
    def _allowed(scope) -> bool:
        headers = {key.lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
        host = headers.get(b"host", "")
        if not host_allowed(host):
            return False
        if carries_bearer(headers.get(b"authorization")):
            return True
        scheme = "https" if scope.get("scheme") == "wss" else "http"
        return origin_allowed(
            origin=headers.get(b"origin"), scheme=scheme, host=host, fetch_site=headers.get(b"sec-fetch-site")
        )
