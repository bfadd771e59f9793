"""Handing a consumer its messages without a trip to the database thread before each one.

Channels' `AsyncConsumer.dispatch` closes stale database connections before every handler, on the one thread
that all synchronous work of the process shares: under load each message then waits its turn there, the
frame of a socket and every run event included. The socket's handlers reach the ORM only through
`database_sync_to_async`, which closes stale connections itself, around each call, on that thread. (The runner
keeps Channels' dispatch on purpose: see agents_app.runner.)
"""

from __future__ import annotations

from channels.consumer import get_handler_name


class DirectDispatchMixin:
    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
