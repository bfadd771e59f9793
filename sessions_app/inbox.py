"""A socket consumer's one queue of messages: its channel layer's and the run feed's, handled one at a time.

Channels' consumer waits on the layer's receive for its own channel; here that wait reads an inbox instead,
which a task of the consumer's fills from the layer (riding out its outages, see layer_outages) and the run feed
fills directly, on this loop, so a run's events never cross the channel layer. Messages of either source are
handled in the order they arrived, each between the others, as Channels handles its own.
"""

from __future__ import annotations

import asyncio
import logging

from sessions_app.layer_outages import LayerOutageMixin

logger = logging.getLogger(__name__)

# Run events past this many waiting are dropped (the log has them: the socket fills the gap from it, or looks
# at its run on the next heartbeat), so one socket that stopped reading cannot hold a front end's memory.
INBOX_CAPACITY = 1500


def _pump_ended(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:  # a bug: the socket would hear no sign-out
        logger.error("a consumer's channel-layer pump failed", exc_info=task.exception())


class InboxMixin(LayerOutageMixin):
    def deliver(self, message: dict) -> None:
        """Queue a message for this consumer; callable from its loop (the feed) or from any thread."""
        try:
            here = asyncio.get_running_loop() is self._inbox_loop
        except RuntimeError:
            here = False
        if here:
            self._queue(message)
        else:
            self._inbox_loop.call_soon_threadsafe(self._queue, message)

    def _queue(self, message: dict) -> None:
        if message.get("type") == "run.event":
            if self._inbox.qsize() >= INBOX_CAPACITY:
                self._inbox_dropped += 1
                if self._inbox_dropped == 1:  # once a spell, not once an event
                    logger.warning("%s: its inbox is full; run events are dropped until it drains", type(self).__name__)
                if self._inbox_dropped == 1 or message["final"]:
                    # The next event fills the gap from the log; should none come (the run's end was dropped),
                    # this look at the run, queued behind what is waiting, does.
                    self._inbox.put_nowait({"type": "run.check", "run_id": message["run_id"]})
                return
            self._inbox_dropped = 0
        self._inbox.put_nowait(message)

    # AsyncConsumer.__call__ stores the layer's receive for this consumer's channel here, then waits on what it
    # reads back: the inbox.
    @property
    def channel_receive(self):
        return self._next_message

    @channel_receive.setter
    def channel_receive(self, receive) -> None:
        self._layer_receive = receive

    async def _next_message(self) -> dict:
        if self._pump is None:
            self._pump = asyncio.create_task(self._pump_layer(), name=f"{type(self).__name__}-layer")
            self._pump.add_done_callback(_pump_ended)
        return await self._inbox.get()

    async def _pump_layer(self) -> None:
        receive = LayerOutageMixin.channel_receive.fget(self)
        while True:
            self._inbox.put_nowait(await receive())

    async def __call__(self, scope, receive, send):
        # Made before Channels starts waiting on it, which it does before the socket's connect is handled.
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._inbox_loop = asyncio.get_running_loop()
        self._inbox_dropped = 0
        self._pump: asyncio.Task | None = None
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the consumer ended: closed, failed, or cancelled by the server past its close timeout.
            if self._pump is not None:
                self._pump.cancel()
            self.consumer_ended()

    def consumer_ended(self) -> None:
        """Let go at once of what outlives a consumer that ends without its disconnect (tasks, subscriptions)."""
