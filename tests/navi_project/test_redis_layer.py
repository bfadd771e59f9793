"""The Redis layer's group send against a real Redis: delivery, order, capacity and expiry as channels-redis has them."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from channels.layers import channel_layers, get_channel_layer

from navi_project.redis_layer import GroupSendRedisChannelLayer

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="runs in the suite's Redis pass (REDIS_URL set)"),
]


@pytest.fixture
def layer():
    channel_layers.backends.clear()
    layer = get_channel_layer()
    assert isinstance(layer, GroupSendRedisChannelLayer)
    yield layer
    channel_layers.backends.clear()


async def test_a_group_send_reaches_every_member_in_order(layer):
    group = f"session.{uuid.uuid4().hex}"
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add(group, first)
    await layer.group_add(group, second)
    for seq in range(20):
        await layer.group_send(group, {"type": "run.event", "seq": seq})
    assert [(await layer.receive(first))["seq"] for _ in range(20)] == list(range(20))
    assert [(await layer.receive(second))["seq"] for _ in range(20)] == list(range(20))
    await layer.group_discard(group, second)
    await layer.group_send(group, {"type": "run.event", "seq": 20})
    assert (await layer.receive(first))["seq"] == 20
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(second), 0.3)
    await layer.group_send(f"session.{uuid.uuid4().hex}", {"type": "run.event"})  # an empty group is no error


async def test_a_full_member_misses_group_sends_and_others_still_get_them(layer):
    layer.capacity = 3
    group = f"session.{uuid.uuid4().hex}"
    full = f"runner-{uuid.uuid4().hex}"  # a normal channel: nobody receives from it here, so it fills up
    live = await layer.new_channel()
    await layer.group_add(group, full)
    await layer.group_add(group, live)
    for seq in range(5):
        await layer.group_send(group, {"type": "run.event", "seq": seq})
        assert (await asyncio.wait_for(layer.receive(live), 5))["seq"] == seq  # a reader keeps up
    assert [(await asyncio.wait_for(layer.receive(full), 5))["seq"] for _ in range(3)] == [0, 1, 2]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(full), 0.3)


async def test_expired_messages_are_dropped_before_delivery(layer):
    layer.expiry = 1
    group = f"session.{uuid.uuid4().hex}"
    channel = f"runner-{uuid.uuid4().hex}"
    await layer.group_add(group, channel)
    await layer.group_send(group, {"type": "run.event", "seq": "old"})
    await asyncio.sleep(2.1)
    await layer.group_send(group, {"type": "run.event", "seq": "new"})
    assert (await layer.receive(channel))["seq"] == "new"
