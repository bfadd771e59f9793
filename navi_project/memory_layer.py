"""The in-memory channel layer of the embedded setup, made to scale with the number of open sockets.

Channels' InMemoryChannelLayer scans every channel and group for expired entries on each send and receive and
deep-copies every message: with hundreds of sockets streaming, that scan dominates the server's time. Here the
scan runs at most once a second, and group sends put a shallow copy straight on each member's queue.
"""

from __future__ import annotations

import asyncio
import time

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

CLEAN_INTERVAL_SECONDS = 1.0


class MemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._next_clean = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now >= self._next_clean:
            self._next_clean = now + CLEAN_INTERVAL_SECONDS
            super()._clean_expired()

    async def send(self, channel, message):
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        self._put(channel, message)

    def _put(self, channel: str, message: dict) -> None:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        try:
            # Messages are flat dicts of strings and numbers: a shallow copy isolates them as well as a deep one.
            queue.put_nowait((time.time() + self.expiry, dict(message)))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    async def group_send(self, group, message):
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            try:
                self._put(channel, message)
            except ChannelFull:
                pass  # as Channels does: a full member misses the message rather than failing the sender
