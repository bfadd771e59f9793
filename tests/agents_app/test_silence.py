"""SilenceLimit: a limit on each read of a stream, not on the whole stream nor on what is done between reads."""

from __future__ import annotations

import asyncio
import time

import pytest

from agents_app.silence import SilenceLimit

pytestmark = pytest.mark.asyncio


async def test_a_read_longer_than_the_limit_raises_timeout_error_at_about_the_limit():
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with SilenceLimit(0.2) as silence:
            async with silence.reading():
                await asyncio.sleep(5)
    assert 0.19 <= time.monotonic() - started < 1.0


async def test_many_quick_reads_outlast_the_limit_and_time_between_reads_is_not_silence():
    async with SilenceLimit(0.15) as silence:
        for _ in range(40):  # 0.4 s of reads in all, each well within the limit
            async with silence.reading():
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.4)  # what the reader does with a part
        async with silence.reading():
            await asyncio.sleep(0.05)


async def test_a_shorter_limit_for_the_reads_after_the_first_applies_at_once():
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with SilenceLimit(10) as silence:
            async with silence.reading():
                await asyncio.sleep(0.01)
            silence.set_limit(0.1)
            async with silence.reading():
                await asyncio.sleep(5)
    assert time.monotonic() - started < 1.0


async def test_a_cancel_from_outside_stays_a_cancel():
    async def reader():
        async with SilenceLimit(10) as silence:
            async with silence.reading():
                await asyncio.sleep(5)

    task = asyncio.create_task(reader())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
