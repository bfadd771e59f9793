"""The live feed of run events to the sockets of this process: the wake-up after each logged event.

A socket subscribes to its session; each logged event is announced to the session, once per process that has
subscribers, and fanned out there to each of them. Without Redis the feed is this process's (runs happen here
too). With Redis it is one pub/sub channel per session, read by one connection per process: the announcement is
one PUBLISH and arrives pushed, so a front end's cost grows with the events it gets, not with round trips per
socket (the channel layer's group send and per-channel BZPOPMIN cost about 15 Redis commands per event).

The feed may drop an announcement (a full inbox, a Redis outage): the log has every event, and a socket fills
a gap from it (sessions_app.relay). After an outage (a closed connection, or one silent past a PING) every
subscriber is told (`feed.returned`) to look, once the subscriptions are back.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Protocol
from uuid import UUID

from sessions_app.redis_clients import LoopClients, PerProcess

logger = logging.getLogger(__name__)

Deliver = Callable[[dict], None]  # takes a message; must not block (it queues it)

RETURNED = {"type": "feed.returned"}
STEP_SECONDS = 10.0  # the longest one network step of the feed may take (connect, subscribe, unsubscribe)
PING_SECONDS = 15.0  # silence on the connection after which the reader checks that Redis is still there
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
    def forget(self, session_id: UUID | str, deliver: Deliver) -> None: ...
    async def announce(
        self, *, session_id: UUID | str, run_id: UUID | str, seq: int, text: str, final: bool
    ) -> None: ...


class MemoryFeed:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[Deliver]] = {}

    async def subscribe(self, session_id: UUID | str, deliver: Deliver) -> None:
        self._subscribers.setdefault(str(session_id), set()).add(deliver)

    async def unsubscribe(self, session_id: UUID | str, deliver: Deliver) -> None:
        self.forget(session_id, deliver)

    def forget(self, session_id: UUID | str, deliver: Deliver) -> None:
        members = self._subscribers.get(str(session_id))
        if members is not None:
            members.discard(deliver)
            if not members:
                del self._subscribers[str(session_id)]

    async def announce(self, *, session_id: UUID | str, run_id: UUID | str, seq: int, text: str, final: bool) -> None:
        members = self._subscribers.get(str(session_id))
        if members:
            _fan_out(members, run_event_message(run_id=str(run_id), seq=seq, text=text, final=final))


FEED_PREFIX = "navi:feed:"


def feed_channel(session_id: UUID | str) -> str:
    return f"{FEED_PREFIX}{session_id}"


def feed_text(*, run_id: UUID | str, seq: int, text: str, final: bool) -> str:
    """An announcement on a session's feed channel: run id, seq, final flag and the event, in one text a reader
    splits at its first three spaces. (The run log's append script writes the same, sessions_app.runlog.)"""
    return f"{run_id} {seq} {int(final)} {text}"


class RedisFeed:
    """One pub/sub connection and reader task per event loop, open while the loop has subscribers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._clients = LoopClients(url)
        self._loops: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._loops_lock = threading.Lock()

    def _here(self) -> _LoopFeed:
        loop = asyncio.get_running_loop()
        with self._loops_lock:
            feed = self._loops.get(loop)
            if feed is None:
                feed = self._loops[loop] = _LoopFeed(self.url)
        return feed

    async def subscribe(self, session_id: UUID | str, deliver: Deliver) -> None:
        await self._here().subscribe(str(session_id), deliver)

    async def unsubscribe(self, session_id: UUID | str, deliver: Deliver) -> None:
        await self._here().unsubscribe(str(session_id), deliver)

    def forget(self, session_id: UUID | str, deliver: Deliver) -> None:
        self._here().forget(str(session_id), deliver)

    async def announce(self, *, session_id: UUID | str, run_id: UUID | str, seq: int, text: str, final: bool) -> None:
        await self._clients.get().publish(
            feed_channel(session_id), feed_text(run_id=run_id, seq=seq, text=text, final=final)
        )


class _LoopFeed:
    """The subscriptions are this object's; the connection follows them. Every network step is bounded in time,
    so a Redis that stops answering (a dropped route, not a refused connection) holds nobody up for long."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._subscribers: dict[str, set[Deliver]] = {}  # session id -> its subscribers here
        self._joined: dict[str, asyncio.Future] = {}  # feed channel -> done once Redis confirmed the subscription
        self._left: set[str] = set()  # channels nobody here listens to any more, to unsubscribe from
        self._returning: set[str] = set()  # after a reconnect: channels whose confirmation is still to come
        self._lock = asyncio.Lock()  # one change of the connection at a time
        self._client = None
        self._pubsub = None
        self._reader: asyncio.Task | None = None
        self._tidying: asyncio.Task | None = None
        self._heard = 0.0  # when Redis last sent anything on the connection
        self._pinged: float | None = None  # when an unanswered PING was sent

    async def subscribe(self, session_id: str, deliver: Deliver) -> None:
        """Returns once announcements to the session reach `deliver` (Redis confirmed the subscription)."""
        channel = feed_channel(session_id)
        try:
            async with self._lock:
                self._subscribers.setdefault(session_id, set()).add(deliver)
                self._left.discard(channel)
                joined = self._joined.get(channel)
                if joined is None:
                    joined = self._joined[channel] = asyncio.get_running_loop().create_future()
                    await asyncio.wait_for(self._open().subscribe(channel), STEP_SECONDS)
                    if self._reader is None:
                        self._heard = time.monotonic()
                        self._reader = asyncio.create_task(self._read(), name="navi-run-feed")
            await asyncio.wait_for(asyncio.shield(joined), STEP_SECONDS)
        except BaseException:
            self.forget(session_id, deliver)
            raise

    async def unsubscribe(self, session_id: str, deliver: Deliver) -> None:
        self.forget(session_id, deliver)
        tidying = self._tidying
        if tidying is not None:
            await asyncio.wait({tidying}, timeout=STEP_SECONDS)  # not cancelled with the caller: others need it

    def forget(self, session_id: str, deliver: Deliver) -> None:
        """At once, without waiting on Redis (a consumer that ends however it ends calls this); the connection
        catches up in the background."""
        members = self._subscribers.get(session_id)
        if members is None or deliver not in members:
            return
        members.discard(deliver)
        if members:
            return
        del self._subscribers[session_id]
        channel = feed_channel(session_id)
        self._joined.pop(channel, None)
        self._confirmed_again(channel)  # its confirmation after a reconnect is awaited no more
        self._left.add(channel)
        if self._tidying is None or self._tidying.done():
            self._tidying = asyncio.get_running_loop().create_task(self._tidy(), name="navi-run-feed-tidy")

    async def _tidy(self) -> None:
        """Until nothing is left to do: forgets made while it waits on Redis are caught by its next round."""
        while True:
            async with self._lock:
                if not self._subscribers:
                    self._left.clear()
                    return await self._close()  # nobody listens here any more: no connection, no task left
                left, self._left = self._left - {feed_channel(s) for s in self._subscribers}, set()
                if not left:
                    return
                if self._pubsub is not None:
                    try:
                        await asyncio.wait_for(self._pubsub.unsubscribe(*left), STEP_SECONDS)
                    except Exception:  # an outage: the recovery subscribes only to the channels still joined
                        logger.debug("unsubscribing from %d channels failed", len(left), exc_info=True)

    def _confirmed_again(self, channel: str) -> None:
        """After a reconnect, once every subscription is back (or let go), every subscriber is told to look:
        what was announced meanwhile is in the logs."""
        if channel in self._returning:
            self._returning.discard(channel)
            if not self._returning:
                for members in list(self._subscribers.values()):
                    _fan_out(members, RETURNED)

    def _open(self):
        if self._pubsub is None:
            import redis.asyncio as redis

            # No read timeout: the reader waits as long as announcements take, and pings Redis when it has heard
            # nothing for a while (see _read). A client of its own: closed with the pub/sub connection.
            self._client = redis.Redis.from_url(self._url, socket_connect_timeout=STEP_SECONDS)
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
        for closing in (pubsub, client):
            if closing is None:
                continue
            try:
                await asyncio.wait_for(closing.aclose(), STEP_SECONDS)
            except Exception:  # a connection already gone: nothing more to close
                logger.debug("closing the run feed's connection failed", exc_info=True)

    async def _read(self) -> None:
        while self._reader is asyncio.current_task():  # until closed, or recovered with nobody left to read for
            try:
                message = await self._pubsub.get_message(timeout=PING_SECONDS / 3)
                if message is None:
                    await self._keep_alive()
                    continue
                self._heard, self._pinged = time.monotonic(), None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._recover(exc)
                continue
            try:
                self._handle(message)
            except Exception:  # one bad message must not end the feed of every socket here
                logger.exception("a run feed message on %r was dropped", message.get("channel"))

    async def _keep_alive(self) -> None:
        """A connection that died without a word (a dropped route) reads as silence: after PING_SECONDS of it,
        a PING; no answer within PING_SECONDS more, and the connection is taken for dead."""
        now = time.monotonic()
        if self._pinged is not None:
            if now - self._pinged > PING_SECONDS:
                raise ConnectionError(f"Redis did not answer a PING within {PING_SECONDS:g} s")
        elif now - self._heard > PING_SECONDS:
            self._pinged = now
            await asyncio.wait_for(self._pubsub.ping(), STEP_SECONDS)

    def _handle(self, message: dict) -> None:
        kind = message["type"]
        if kind == "pong":
            return
        channel = message["channel"].decode()
        if kind == "subscribe":
            joined = self._joined.get(channel)
            if joined is not None and not joined.done():
                joined.set_result(None)
            self._confirmed_again(channel)
        elif kind == "message":
            members = self._subscribers.get(channel.removeprefix(FEED_PREFIX))
            if members:
                run_id, seq, final, text = message["data"].decode().split(" ", 3)
                _fan_out(members, run_event_message(run_id=run_id, seq=int(seq), text=text, final=final == "1"))

    async def _recover(self, error: Exception) -> None:
        """Reconnect and subscribe again to every session still subscribed here; each subscriber is told once
        the subscriptions are confirmed (`_handle`)."""
        logger.warning("the run feed lost Redis (%r); reconnecting", error)
        delay, failures = FIRST_RETRY_SECONDS, 0
        while True:
            await asyncio.sleep(delay)
            async with self._lock:
                await self._disconnect()
                channels = list(self._joined)
                try:
                    if channels:
                        await asyncio.wait_for(self._open().subscribe(*channels), STEP_SECONDS)
                except Exception:
                    failures += 1
                    delay = min(delay * 2, LONGEST_RETRY_SECONDS)
                    continue
                self._returning = set(channels)
                self._heard, self._pinged = time.monotonic(), None
            if channels:
                logger.warning("the run feed has Redis again, after %d failed tries", failures)
            else:  # everybody left meanwhile: nothing to read
                self._reader = None
            return


run_feed: PerProcess[RunFeed] = PerProcess(RedisFeed, MemoryFeed)
