"""Cross-site protection (CONTRACT section 5): a request or WebSocket handshake from another origin is refused.

Browsers send `Origin` on every cross-origin POST and on every WebSocket handshake, and a page cannot forge it.
Only what a browser sends on its own is at risk (the cookie, or local mode's implicit owner), so requests with
an Authorization header (which a foreign page cannot add without a CORS preflight Navi never grants) and
requests without an Origin (native and command-line clients) are not checked. A DNS-rebound name is caught by
the Host check: Django's ALLOWED_HOSTS for HTTP, and the same list here for WebSockets.
"""

from __future__ import annotations

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from navi_project.config import url_origin

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Signed by HMAC rather than carried by a browser's credentials.
UNCHECKED_PATHS = ("/webhooks/",)


def own_origins(*, scheme: str, host: str) -> set[str]:
    """The server's own origins: NAVI_PUBLIC_URL's, and the scheme and Host this request came in on."""
    return {url_origin(settings.NAVI_PUBLIC_URL), url_origin(f"{scheme}://{host}")}


def origin_allowed(*, origin: str | None, scheme: str, host: str) -> bool:
    if origin is None:
        return True
    try:
        return url_origin(origin) in own_origins(scheme=scheme, host=host) and origin.count("/") == 2
    except ValueError:  # a port that is not a number
        return False


def host_allowed(host: str) -> bool:
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


def request_needs_origin_check(*, method: str, path: str, authorization: str | None) -> bool:
    return method in UNSAFE_METHODS and authorization is None and not path.startswith(UNCHECKED_PATHS)


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
        if b"authorization" in headers:
            return True
        scheme = "https" if scope.get("scheme") == "wss" else "http"
        return origin_allowed(origin=headers.get(b"origin"), scheme=scheme, host=host)
