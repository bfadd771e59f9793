"""The embedded channel layer keeps Channels' semantics: order, groups, capacity, expiry."""

from __future__ import annotations

import asyncio

import pytest
from channels.exceptions import ChannelFull

from navi_project import memory_layer
from navi_project.memory_layer import MemoryChannelLayer

pytestmark = pytest.mark.asyncio


async def test_group_sends_reach_every_member_in_order_as_independent_copies():
    layer = MemoryChannelLayer()
    a, b = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("session.1", a)
    await layer.group_add("session.1", b)
    message = {"type": "run.event", "seq": 0}
    await layer.group_send("session.1", message)
    await layer.group_send("session.1", {"type": "run.event", "seq": 1})
    message["seq"] = 99  # the sender's later changes do not reach receivers
    assert [(await layer.receive(a))["seq"] for _ in range(2)] == [0, 1]
    assert [(await layer.receive(b))["seq"] for _ in range(2)] == [0, 1]
    await layer.group_discard("session.1", b)
    await layer.group_send("session.1", {"type": "run.event", "seq": 2})
    assert (await layer.receive(a))["seq"] == 2
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(b), 0.1)


async def test_a_full_channel_refuses_direct_sends_and_misses_group_sends():
    layer = MemoryChannelLayer(capacity=2)
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    await layer.send(channel, {"type": "x", "n": 1})
    await layer.send(channel, {"type": "x", "n": 2})
    with pytest.raises(ChannelFull):
        await layer.send(channel, {"type": "x", "n": 3})
    await layer.group_send("g", {"type": "x", "n": 4})  # dropped for this member, the sender goes on
    assert [(await layer.receive(channel))["n"] for _ in range(2)] == [1, 2]


async def test_expired_messages_are_dropped_at_the_next_cleaning(monkeypatch):
    monkeypatch.setattr(memory_layer, "CLEAN_INTERVAL_SECONDS", 0.0)
    layer = MemoryChannelLayer(expiry=0.05)
    stale, fresh = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("g", stale)
    await layer.send(stale, {"type": "old"})
    await asyncio.sleep(0.1)
    await layer.send(fresh, {"type": "new"})
    assert (await layer.receive(fresh))["type"] == "new"
    assert stale not in layer.channels and stale not in layer.groups.get("g", {})
