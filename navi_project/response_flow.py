"""Back-pressure for response bodies under daphne: a send() that waits while the client is not reading.

daphne writes each `http.response.body` message to the socket's buffer at once and returns: nothing tells the
application that the client is slow, so a streamed 50 MB download to a slow client ends up whole in Twisted's
write buffer. Twisted does tell a registered producer (`pauseProducing` when the buffer is full, then
`resumeProducing`): `SendWindow` is that producer for one request, and `paced(send, window)` waits on it before
each body message. The download's iterator then reads the next chunk from storage only as the client takes
them. `request_bodies.install()` puts a window in each HTTP scope; without daphne there is none and send()
passes through.
"""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger(__name__)
SCOPE_KEY = "navi.send_window"


class SendWindow:
    """An IPushProducer registered on daphne's request while its body streams."""

    def __init__(self, request) -> None:
        self._request = request
        self._open = asyncio.Event()
        self._open.set()
        self._registered = False

    # Twisted's side (called on the reactor, which is the asyncio loop under daphne).
    def pauseProducing(self) -> None:
        self._open.clear()

    def resumeProducing(self) -> None:
        self._open.set()

    def stopProducing(self) -> None:
        self._gone(None)

    def _gone(self, _result) -> None:
        """The response ended or its connection was lost (Twisted resumes no paused producer then): let the
        sender finish; daphne drops writes to a closed connection."""
        self._registered = False
        if getattr(self._request, "producer", None) is self:
            self._request.producer = None  # nothing left to unregister from
        self._open.set()
        return None  # a lost connection is no error here

    # The application's side.
    def start(self) -> None:
        request = self._request
        if self._registered or getattr(request, "channel", None) is None or request.producer is not None:
            return
        try:
            request.registerProducer(self, True)
            self._registered = True
            request.notifyFinish().addBoth(self._gone)
        except (RuntimeError, ValueError, AttributeError):  # another producer is there: no pacing, as before
            logger.debug("no send window for %r", request, exc_info=True)

    async def wait(self) -> None:
        await self._open.wait()

    def end(self) -> None:
        if self._registered:
            self._registered = False
            if getattr(self._request, "channel", None) is not None and self._request.producer is self:
                self._request.unregisterProducer()


def paced(send, window: SendWindow):
    async def paced_send(message):
        if message["type"] != "http.response.body":
            return await send(message)
        more = message.get("more_body", False)
        if more:
            window.start()
        await window.wait()
        if not more:
            window.end()  # before daphne finishes the request, which expects no producer left
        return await send(message)

    return paced_send
