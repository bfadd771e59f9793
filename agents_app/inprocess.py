"""The agent runner inside the server process, for the embedded setup (no REDIS_URL).

It is the same Channels worker `runworker agent-runner` runs, listening on the in-memory channel layer of this
process, started on the event loop that serves the first request. It is supervised: should the worker die (a
malformed message on its channel, a bug), that is logged and a new worker starts after a short wait. A
channel-layer outage (Redis, when the embedded runner uses it) does not end it: it waits the outage out.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import ChannelNameRouter

from agents_app.runner import AgentRunnerConsumer
from agents_app.shutdown import close_at_reactor_shutdown
from sessions_app.layer_outages import OutageTolerantWorker
from sessions_app.services.dispatch import RUNNER_CHANNEL
from sessions_app.services.runs import run_fail_orphans

logger = logging.getLogger(__name__)

_started_on: asyncio.AbstractEventLoop | None = None
_orphans_checked = False
_task: asyncio.Task | None = None  # a reference: the loop keeps only a weak one


async def ensure_inprocess_runner() -> None:
    global _started_on, _orphans_checked, _task
    loop = asyncio.get_running_loop()
    if _started_on is loop:
        return
    _started_on = loop
    if not _orphans_checked:
        _orphans_checked = True
        failed = await database_sync_to_async(run_fail_orphans)()
        if failed:
            logger.warning("marked %d run(s) of an earlier server process as failed", failed)
    _task = loop.create_task(_supervised_worker(), name="navi-inprocess-runner")
    close_at_reactor_shutdown()
    logger.info("agent runner started in-process")


FIRST_RESTART_SECONDS = 0.2
LONGEST_RESTART_SECONDS = 10.0


async def _supervised_worker() -> None:
    delay = FIRST_RESTART_SECONDS
    while True:
        app = ChannelNameRouter({RUNNER_CHANNEL: AgentRunnerConsumer.as_asgi()})
        worker = OutageTolerantWorker(application=app, channels=[RUNNER_CHANNEL], channel_layer=get_channel_layer())
        started = asyncio.get_running_loop().time()
        checker = asyncio.ensure_future(worker.application_checker())  # Worker.arun would leave it running
        try:
            await worker.handle()
            logger.error("the in-process agent runner stopped; starting it again")
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("the in-process agent runner crashed; starting it again")
        finally:
            checker.cancel()
        # Runs it had started go on: each is a task of its own, and hears its stop on its own channel.
        if asyncio.get_running_loop().time() - started > LONGEST_RESTART_SECONDS:
            delay = FIRST_RESTART_SECONDS
        await asyncio.sleep(delay)
        delay = min(delay * 2, LONGEST_RESTART_SECONDS)
