"""The ASGI entry point: HTTP (Django), WebSockets (Channels), and the `agent-runner` worker channel."""

from __future__ import annotations

import gc
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navi_project.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

from navi_project.config import ConfigError  # noqa: E402

try:
    django_asgi_app = get_asgi_application()
except ConfigError as exc:
    sys.stderr.write(f"navi: configuration error: {exc}\n")
    raise SystemExit(2) from None

from agents_app.startup import agents_startup_load  # noqa: E402

agents_startup_load()  # tools (MCP servers' too) and profiles, reported at start-up (see the module)

from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from accounts_app.auth import WebSocketAuthMiddleware  # noqa: E402
from accounts_app.origin import WebSocketOriginGuard  # noqa: E402
from agents_app.runner import AgentRunnerConsumer  # noqa: E402
from navi_project import request_bodies, websocket_limits  # noqa: E402
from sessions_app.routing import websocket_urlpatterns  # noqa: E402
from sessions_app.services.dispatch import RUNNER_CHANNEL  # noqa: E402

request_bodies.install()  # large uploads: 413 early, never whole in memory (see the module)
websocket_limits.install()  # frames up to NAVI_MAX_MESSAGE_BYTES both ways, 1009 past it (see the module)


class StartsInProcessRunner:
    """Starts the in-process agent runner on the loop that serves the first HTTP or WebSocket connection."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if settings.NAVI_RUNNER == "inprocess" and scope["type"] in ("http", "websocket"):
            from agents_app.inprocess import ensure_inprocess_runner

            await ensure_inprocess_runner()
        return await self.app(scope, receive, send)


application = StartsInProcessRunner(
    ProtocolTypeRouter(
        {
            "http": request_bodies.FeedsBodyFromFile(django_asgi_app),
            "websocket": WebSocketOriginGuard(WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
            "channel": ChannelNameRouter({RUNNER_CHANNEL: AgentRunnerConsumer.as_asgi()}),
        }
    )
)

# What start-up made (modules, settings, profiles, tools) lives as long as the process. Frozen, the collector's
# full passes skip it: they walked some 130,000 objects, a 30-40 ms pause of every stream the process serves.
# (Collecting young objects less often, every 10,000 allocations, was tried: 9 MB more with 500 idle sockets
# and 54 MB more after 500 streams, for no lag measurably gained.)
gc.collect()  # what start-up left for the collector goes first: frozen, it would stay for good
gc.freeze()
