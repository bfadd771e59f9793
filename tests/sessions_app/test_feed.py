"""The run feed, in memory and on a real Redis of the test's own: each session's announcements reach its
subscribers and no one else's, once; a process holds no connection when nobody listens; an outage ends with
every subscriber told to look, and announcements flow again."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis

from sessions_app.feed import RETURNED, MemoryFeed, RedisFeed

pytestmark = pytest.mark.asyncio


class Inbox:
    def __init__(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()

    def deliver(self, message: dict) -> None:
        self.queue.put_nowait(message)

    async def next(self, timeout: float = 5) -> dict:
        return await asyncio.wait_for(self.queue.get(), timeout)

    async def quiet(self, seconds: float = 0.3) -> bool:
        try:
            await asyncio.wait_for(self.queue.get(), seconds)
        except TimeoutError:
            return True
        return False


async def _announce(feed, session_id: str, seq: int, text: str = '{"type": "stream_delta", "delta": "a b"}'):
    await feed.announce(session_id=session_id, run_id="r-1", seq=seq, text=text, final=seq == 9)


@pytest.fixture(params=["memory", "redis"])
def feed(request):
    if request.param == "memory":
        return MemoryFeed()
    return RedisFeed(request.getfixturevalue("own_redis").url)


async def test_announcements_reach_the_sessions_subscribers_once_each_and_nobody_else(feed):
    first, second, elsewhere = Inbox(), Inbox(), Inbox()
    await feed.subscribe("s-1", first.deliver)
    await feed.subscribe("s-1", second.deliver)
    await feed.subscribe("s-2", elsewhere.deliver)
    # Text with spaces, quotes and non-ASCII arrives as it was sent.
    text = '{"type": "stream_delta", "delta": "h\\u00e9 \\"there\\" "}'
    await _announce(feed, "s-1", 0, text)
    await _announce(feed, "s-1", 9)
    for inbox in (first, second):
        assert await inbox.next() == {"type": "run.event", "run_id": "r-1", "seq": 0, "event": text, "final": False}
        assert (await inbox.next())["final"] is True
        assert await inbox.quiet()
    assert await elsewhere.quiet()

    await feed.unsubscribe("s-1", first.deliver)
    await _announce(feed, "s-1", 1)
    assert (await second.next())["seq"] == 1
    assert await first.quiet()
    for inbox, session in ((second, "s-1"), (elsewhere, "s-2")):
        await feed.unsubscribe(session, inbox.deliver)


async def _feed_clients(server_url: str) -> int:
    """Connections the Redis server has that are subscribed to something."""
    client = redis.Redis.from_url(server_url)
    try:
        return sum(1 for c in await client.client_list() if int(c.get("sub", 0)) > 0)
    finally:
        await client.aclose()


async def test_a_process_holds_one_connection_while_it_has_subscribers_and_none_after(own_redis):
    server = own_redis
    feed, inboxes = RedisFeed(server.url), [Inbox() for _ in range(20)]
    await asyncio.gather(*(feed.subscribe(f"s-{n % 5}", inbox.deliver) for n, inbox in enumerate(inboxes)))
    assert await _feed_clients(server.url) == 1
    await asyncio.gather(*(feed.unsubscribe(f"s-{n % 5}", inbox.deliver) for n, inbox in enumerate(inboxes)))
    assert await _feed_clients(server.url) == 0
    # and the next subscriber opens it again
    late = Inbox()
    await feed.subscribe("s-1", late.deliver)
    await _announce(feed, "s-1", 3)
    assert (await late.next())["seq"] == 3
    await feed.unsubscribe("s-1", late.deliver)


async def test_after_a_redis_restart_every_subscriber_is_told_to_look_and_announcements_flow_again(own_redis):
    server = own_redis
    feed, one, other = RedisFeed(server.url), Inbox(), Inbox()
    await feed.subscribe("s-1", one.deliver)
    await feed.subscribe("s-2", other.deliver)
    await asyncio.to_thread(server.restart_empty)  # subscriptions are gone with the connection
    assert await one.next(10) == RETURNED and await other.next(10) == RETURNED
    await _announce(feed, "s-2", 4)
    assert (await other.next())["seq"] == 4
    assert await one.quiet()
    await feed.unsubscribe("s-1", one.deliver)
    await feed.unsubscribe("s-2", other.deliver)


async def test_subscribing_while_redis_is_down_fails_and_leaves_nothing_behind(own_redis):
    server = own_redis
    feed, inbox = RedisFeed(server.url), Inbox()
    server.kill()
    with pytest.raises(redis.ConnectionError):
        await feed.subscribe("s-1", inbox.deliver)
    server.start()
    await feed.subscribe("s-1", inbox.deliver)  # the same subscriber again, now that Redis answers
    await _announce(feed, "s-1", 5)
    assert (await inbox.next())["seq"] == 5
    assert await inbox.quiet()  # told once: the failed subscription left no second delivery behind
    await feed.unsubscribe("s-1", inbox.deliver)


async def test_a_malformed_message_on_a_feed_channel_is_dropped_and_the_feed_goes_on(own_redis):
    server = own_redis
    feed, inbox = RedisFeed(server.url), Inbox()
    await feed.subscribe("s-1", inbox.deliver)
    client = redis.Redis.from_url(server.url)
    await client.publish("navi:feed:s-1", "not an announcement")
    await client.aclose()
    await _announce(feed, "s-1", 6)
    assert (await inbox.next())["seq"] == 6
    await feed.unsubscribe("s-1", inbox.deliver)


async def test_a_redis_that_stops_answering_without_closing_is_noticed_and_the_feed_reconnects(own_redis, monkeypatch):
    import signal

    from sessions_app import feed as feed_module

    monkeypatch.setattr(feed_module, "PING_SECONDS", 0.5)
    monkeypatch.setattr(feed_module, "STEP_SECONDS", 1.0)
    server = own_redis
    feed, inbox = RedisFeed(server.url), Inbox()
    await feed.subscribe("s-1", inbox.deliver)
    server.proc.send_signal(signal.SIGSTOP)  # its connections stay open, and nothing answers on them
    await asyncio.sleep(2.5)
    server.proc.send_signal(signal.SIGCONT)
    assert await inbox.next(10) == RETURNED  # a silent connection was taken for dead and replaced
    await _announce(feed, "s-1", 7)
    assert (await inbox.next())["seq"] == 7
    await feed.unsubscribe("s-1", inbox.deliver)


async def test_subscribers_are_told_after_a_reconnect_even_if_a_session_is_let_go_before_its_confirmation():
    # The reconnect's bookkeeping on its own (no Redis needed): sessions A and B resubscribed, A confirmed, then
    # B's only socket leaves before B's confirmation is read.
    from sessions_app.feed import _LoopFeed

    here, a, b = _LoopFeed("redis://127.0.0.1:1/0"), Inbox(), Inbox()
    here._subscribers = {"A": {a.deliver}, "B": {b.deliver}}
    here._joined = {"navi:feed:A": asyncio.get_running_loop().create_future(), "navi:feed:B": None}
    here._returning = {"navi:feed:A", "navi:feed:B"}
    here._handle({"type": "subscribe", "channel": b"navi:feed:A", "data": 1})
    assert await a.quiet(0.05)
    here.forget("B", b.deliver)
    assert await a.next(1) == RETURNED
    await here._tidying
