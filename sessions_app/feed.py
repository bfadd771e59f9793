"""The live feed of run events to the sockets of this process: the wake-up after each logged event.

A socket subscribes to its session; each logged event is announced to the session, once per process that has
subscribers, and fanned out there to each of them. Without Redis the feed is this process's (runs happen here
too). With Redis it is one pub/sub channel per session, read by one connection per process: the announcement is
one PUBLISH and arrives pushed, so a front end's cost grows with the events it gets, not with round trips per
socket (the channel layer's group send and per-channel BZPOPMIN cost about 15 Redis commands per event).

The feed may drop an announcement (a full inbox, a Redis outage): the log has every event, and a socket fills
a gap from it (sessions_app.relay). After an outage every subscriber is told (`feed.returned`) to look.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from typing import Protocol
from uuid import UUID

from sessions_app.redis_clients import LoopClients, PerProcess

logger = logging.getLogger(__name__)

Deliver = Callable[[dict], None]  # takes a message; must not block (it queues it)

RETURNED = {"type": "feed.returned"}
SUBSCRIBE_SECONDS = 10.0
FIRST_RETRY_SECONDS = 0.1
LONGEST_RETRY_SECONDS = 2.0


def run_event_message(*, run_id: str, seq: int, text: str, final: bool) -> dict:
    return {"type": "run.event", "run_id": run_id, "seq": seq, "event": text, "final": final}


def _fan_out(members: set[Deliver], message: dict) -> None:
    for deliver in list(members):
        try:
            deliver(message)
        except Exception:  # one subscriber's failure (its loop closed) is not the others'
            logger.exception("a run feed subscriber failed")


class RunFeed(Protocol):
    async def subscribe(self, session_id: UUID | str, deliver: Deliver) -> None: ...
    async def unsubscribe(self, session_id: UUID | str, deliver: Deliver) -> None: ...
    async def announce(
        self, *, session_id: UUID | str, run_id: UUID | str, seq: int, text: str, final: bool
    ) -> None: ...


class MemoryFeed:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[Deliver]] = {}

    async def subscribe(self, session_id: UUID | str, deliver: Deliver) -> None:
        self._subscribers.setdefault(str(session_id), set()).add(deliver)

    async def unsubscribe(self, session_id: UUID | str, deliver: Deliver) -> None:
        members = self._subscribers.get(str(session_id))
        if members is not None:
            members.discard(deliver)
            if not members:
                del self._subscribers[str(session_id)]

    async def announce(self, *, session_id: UUID | str, run_id: UUID | str, seq: int, text: str, final: bool) -> None:
        members = self._subscribers.get(str(session_id))
        if members:
            _fan_out(members, run_event_message(run_id=str(run_id), seq=seq, text=text, final=final))


def feed_channel(session_id: UUID | str) -> str:
    return f"navi:feed:{session_id}"


class RedisFeed:
    """One pub/sub connection and reader task per event loop, open while the loop has subscribers."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._clients = LoopClients(url)
        self._loops: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _here(self) -> _LoopFeed:
        loop = asyncio.get_running_loop()
        feed = self._loops.get(loop)
        if feed is None:
            feed = self._loops[loop] = _LoopFeed(self._url)
        return feed

    async def subscribe(self, session_id: UUID | str, deliver: Deliver) -> None:
        await self._here().subscribe(str(session_id), deliver)

    async def unsubscribe(self, session_id: UUID | str, deliver: Deliver) -> None:
        await self._here().unsubscribe(str(session_id), deliver)

    async def announce(self, *, session_id: UUID | str, run_id: UUID | str, seq: int, text: str, final: bool) -> None:
        # run id, seq, final flag and the event, in one text a reader splits at its first three spaces
        await self._clients.get().publish(feed_channel(session_id), f"{run_id} {seq} {int(final)} {text}")


class _LoopFeed:
    def __init__(self, url: str) -> None:
        self._url = url
        self._subscribers: dict[str, set[Deliver]] = {}  # session id -> its subscribers here
        self._joined: dict[str, asyncio.Future] = {}  # feed channel -> done once Redis confirmed the subscription
        self._lock = asyncio.Lock()
        self._client = None
        self._pubsub = None
        self._reader: asyncio.Task | None = None

    async def subscribe(self, session_id: str, deliver: Deliver) -> None:
        """Returns once announcements to the session reach `deliver` (Redis confirmed the subscription)."""
        channel = feed_channel(session_id)
        async with self._lock:
            self._subscribers.setdefault(session_id, set()).add(deliver)
            joined = self._joined.get(channel)
            if joined is None:
                joined = self._joined[channel] = asyncio.get_running_loop().create_future()
                try:
                    await self._open().subscribe(channel)
                except BaseException:
                    await self._leave(session_id, deliver)
                    raise
                if self._reader is None:
                    self._reader = asyncio.create_task(self._read(), name="navi-run-feed")
        try:
            await asyncio.wait_for(asyncio.shield(joined), SUBSCRIBE_SECONDS)
        except BaseException:
            async with self._lock:
                await self._leave(session_id, deliver)
            raise

    async def unsubscribe(self, session_id: str, deliver: Deliver) -> None:
        async with self._lock:
            await self._leave(session_id, deliver)

    async def _leave(self, session_id: str, deliver: Deliver) -> None:
        members = self._subscribers.get(session_id)
        if members is None or deliver not in members:
            return
        members.discard(deliver)
        if members:
            return
        del self._subscribers[session_id]
        channel = feed_channel(session_id)
        self._joined.pop(channel, None)
        if not self._subscribers:
            await self._close()  # nobody listens here any more: no connection held, no task left behind
        elif self._pubsub is not None:
            try:
                await self._pubsub.unsubscribe(channel)
            except Exception:  # an outage: the reader's recovery subscribes only to the channels still joined
                logger.debug("unsubscribing from %s failed", channel, exc_info=True)

    def _open(self):
        if self._pubsub is None:
            import redis.asyncio as redis

            # No socket timeout: the reader waits for announcements as long as it takes (keepalive finds a
            # connection that died silently). A client of its own: closed with the pub/sub connection.
            self._client = redis.Redis.from_url(self._url, socket_keepalive=True)
            self._pubsub = self._client.pubsub()
        return self._pubsub

    async def _close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
        await self._disconnect()

    async def _disconnect(self) -> None:
        pubsub, client = self._pubsub, self._client
        self._pubsub, self._client = None, None
        try:
            if pubsub is not None:
                await pubsub.aclose()
            if client is not None:
                await client.aclose()
        except Exception:  # a connection already gone: nothing more to close
            logger.debug("closing the run feed's connection failed", exc_info=True)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._recover(exc)
                continue
            if message is not None:
                try:
                    self._handle(message)
                except Exception:  # one bad message must not end the feed of every socket here
                    logger.exception("a run feed message on %r was dropped", message.get("channel"))

    def _handle(self, message: dict) -> None:
        kind, channel = message["type"], message["channel"].decode()
        if kind == "subscribe":
            joined = self._joined.get(channel)
            if joined is not None and not joined.done():
                joined.set_result(None)
        elif kind == "message":
            members = self._subscribers.get(channel.removeprefix("navi:feed:"))
            if members:
                run_id, seq, final, text = message["data"].decode().split(" ", 3)
                _fan_out(members, run_event_message(run_id=run_id, seq=int(seq), text=text, final=final == "1"))

    async def _recover(self, error: Exception) -> None:
        """Reconnect and subscribe again to every session still subscribed here, then tell each subscriber."""
        logger.warning("the run feed lost Redis (%r); reconnecting", error)
        delay, failures = FIRST_RETRY_SECONDS, 0
        while True:
            await asyncio.sleep(delay)
            async with self._lock:
                await self._disconnect()
                channels = list(self._joined)
                try:
                    pubsub = self._open()
                    await pubsub.subscribe(*channels)
                except Exception:
                    failures += 1
                    delay = min(delay * 2, LONGEST_RETRY_SECONDS)
                    continue
            logger.warning("the run feed has Redis again, after %d failed tries", failures)
            for members in list(self._subscribers.values()):
                _fan_out(members, RETURNED)
            return


run_feed: PerProcess[RunFeed] = PerProcess(RedisFeed, MemoryFeed)
