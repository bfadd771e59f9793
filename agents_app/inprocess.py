"""The agent runner inside the server process, for the embedded setup (no REDIS_URL).

It is the same Channels worker `runworker agent-runner` runs, listening on the in-memory channel layer of this
process, started on the event loop that serves the first request.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import ChannelNameRouter
from channels.worker import Worker

from agents_app.runner import AgentRunnerConsumer
from agents_app.shutdown import close_at_reactor_shutdown
from sessions_app.services.dispatch import RUNNER_CHANNEL
from sessions_app.services.runs import run_fail_orphans

logger = logging.getLogger(__name__)

_started_on: asyncio.AbstractEventLoop | None = None
_orphans_checked = False


async def ensure_inprocess_runner() -> None:
    global _started_on, _orphans_checked
    loop = asyncio.get_running_loop()
    if _started_on is loop:
        return
    _started_on = loop
    if not _orphans_checked:
        _orphans_checked = True
        failed = await database_sync_to_async(run_fail_orphans)()
        if failed:
            logger.warning("marked %d run(s) of an earlier server process as failed", failed)
    app = ChannelNameRouter({RUNNER_CHANNEL: AgentRunnerConsumer.as_asgi()})
    worker = Worker(application=app, channels=[RUNNER_CHANNEL], channel_layer=get_channel_layer())
    loop.create_task(worker.arun(), name="navi-inprocess-runner")
    close_at_reactor_shutdown()
    logger.info("agent runner started in-process")
