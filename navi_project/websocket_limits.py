"""WebSocket frame limits under daphne: NAVI_MAX_MESSAGE_BYTES both ways, and a refusal the client can read.

Daphne hands autobahn a 1 MiB limit (`--websocket-max-message-size`, `--websocket-max-frame-size`) that holds
for frames received and sent alike: a larger client frame drops the TCP connection without a close code
(autobahn's `failByDrop`), and a larger event raises PayloadExceededError in the consumer, which closes with
1011. Navi's input rules take messages of up to 32 MiB, so `install()` sets both limits to NAVI_MAX_MESSAGE_BYTES
(the value each socket's first event announces, whatever the command line said) and has autobahn answer a frame
past it with close code 1009 and a reason, not a dropped connection.
"""

from __future__ import annotations

from django.conf import settings


def protocol_options(options: dict) -> dict:
    limit = settings.NAVI_MAX_MESSAGE_BYTES
    return {**options, "maxMessagePayloadSize": limit, "maxFramePayloadSize": limit, "failByDrop": False}


def install() -> None:
    """Patch daphne's WebSocket factory (once); a no-op when daphne is not installed."""
    try:
        from daphne.ws_protocol import WebSocketFactory
    except ImportError:  # pragma: no cover
        return
    if getattr(WebSocketFactory, "_navi_limits", False):
        return
    original = WebSocketFactory.setProtocolOptions

    def setProtocolOptions(self, *args, **options):
        return original(self, *args, **protocol_options(options))

    WebSocketFactory._navi_limits = True
    WebSocketFactory.setProtocolOptions = setProtocolOptions
