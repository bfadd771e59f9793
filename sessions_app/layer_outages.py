"""Riding out a channel-layer outage (Redis restarting): receives that wait instead of ending their consumer.

Channels' `AsyncConsumer` awaits `channel_layer.receive` for its own channel and ends on its first error (a
WebSocket then closes with 1011); Channels' `Worker` does the same for the channels it listens on, and its
process exits. Here a failing receive is retried with backoff, logged once per outage. A Redis that comes back
empty has forgotten every group membership: a consumer's `layer_returned` joins its groups again, and may hand
back a message to handle at once (a socket's run check), dispatched between handlers like any other.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable

from channels.worker import Worker

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.1
LONGEST_RETRY_SECONDS = 2.0


async def receive_through_outages(
    receive: Callable[[], Awaitable[dict]],
    *,
    what: str,
    rejoin: Callable[[], Awaitable[dict | None]] | None = None,
) -> dict:
    """The next message of `receive()`, however long the layer fails first. After a failure, `rejoin()` (when
    given) is tried until it succeeds, which shows the layer is back; a message it returns is returned at once."""
    delay, failures = FIRST_RETRY_SECONDS, 0
    while True:
        try:
            if failures and rejoin is not None:
                back = await rejoin()
                logger.warning("%s: the channel layer answers again, after %d failed tries", what, failures)
                delay, failures = FIRST_RETRY_SECONDS, 0
                if back is not None:
                    return back
            message = await receive()
        except Exception as exc:  # CancelledError is not one: a consumer that is closing still closes
            failures += 1
            if failures == 1:
                logger.warning("%s: the channel layer failed (%r); retrying until it answers", what, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, LONGEST_RETRY_SECONDS)
            continue
        if failures:
            logger.warning("%s: the channel layer answers again, after %d failed tries", what, failures)
        return message


class LayerOutageMixin:
    """For an `AsyncConsumer`: its channel receive rides out layer outages; `layer_returned` re-joins its groups
    (raising while the layer is still down) and returns a message to handle now, or None."""

    # AsyncConsumer.__call__ stores the layer's receive for this consumer's channel in `channel_receive`, then
    # reads it back to wait on: stored through this property, it is read back wrapped.
    @property
    def channel_receive(self):
        return functools.partial(
            receive_through_outages, self._layer_receive, what=type(self).__name__, rejoin=self.layer_returned
        )

    @channel_receive.setter
    def channel_receive(self, receive) -> None:
        self._layer_receive = receive

    async def layer_returned(self) -> dict | None:
        raise NotImplementedError


class OutageTolerantWorker(Worker):
    """Channels' worker, whose listeners wait out a layer outage instead of ending the worker and its runs."""

    async def listener(self, channel):
        receive = functools.partial(self.channel_layer.receive, channel)
        while True:
            message = await receive_through_outages(receive, what=f"the worker on {channel!r}")
            if not message.get("type", None):
                raise ValueError("Worker received message with no type.")
            instance_queue = self.get_or_create_application_instance(channel, {"type": "channel", "channel": channel})
            await instance_queue.put(message)
