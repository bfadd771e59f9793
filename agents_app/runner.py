"""The agent runner: a Channels worker consumer on the `agent-runner` channel.

`run.start` starts the run as a task of its own (a consumer handles one message at a time, so awaiting the run
here would block every other run and every stop). Each run's consumer joins the run's control group, so a
`run.stop` sent from any front end reaches it. A run task that dies of a bug is logged with its traceback and
its run failed at once, so its clients are told and the session is usable again.

A channel-layer outage (Redis restarting) does not end it: its receive waits the outage out, and then it joins
its runs' control groups again, which a Redis restarted empty has forgotten (a stop sent meanwhile still
reaches its run: the run's heartbeat reads the stop flag in the database).
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

from channels.consumer import AsyncConsumer
from channels.db import database_sync_to_async

from agents_app.approvals import approval_deliver
from agents_app.engine import StopSignal
from agents_app.run_execution import execute_run
from sessions_app.layer_outages import LayerOutageMixin
from sessions_app.runlog import run_control_group
from sessions_app.services.runs import run_fail_crashed

logger = logging.getLogger(__name__)


def _run_id(message: dict) -> UUID | None:
    """The message's run id, parsed once here (messages carry it as text); None for one that names no run."""
    try:
        return UUID(str(message.get("run_id")))
    except ValueError:
        logger.warning("a %s message without a run id was dropped", message.get("type"))
        return None


class AgentRunnerConsumer(LayerOutageMixin, AsyncConsumer):
    # Channels' own dispatch, whose trip to the database thread before each message paces the run starts: a
    # burst of them (500 at once) then begins at the pace of that thread instead of queueing 500 claims on it
    # together, which let the p99 delta lag of 500 streams reach 6.1 s (0.58 s paced; `make bench`, embedded).

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.runs: dict[UUID, tuple[asyncio.Task, StopSignal]] = {}
        self._cleanups: set[asyncio.Task] = set()  # referenced, so the loop cannot drop them half done

    async def run_start(self, message: dict) -> None:
        run_id = _run_id(message)
        if run_id is None or run_id in self.runs:
            return
        stop = StopSignal()
        # The run starts first and joins its control group meanwhile: the join is a Redis round trip the first
        # token need not wait for. A stop sent before the join lands is read from the database (the claim and
        # the run's heartbeats read the stop flag).
        task = asyncio.create_task(execute_run(run_id, stop), name=f"navi-run-{run_id}")
        self.runs[run_id] = (task, stop)
        task.add_done_callback(lambda t: self._cleanups.add(asyncio.ensure_future(self._forget(run_id, t))))
        try:
            await self.channel_layer.group_add(run_control_group(run_id), self.channel_name)
        except Exception:  # the layer is down: its return joins the run's group again (layer_returned)
            logger.warning("run %s could not join its control group yet", run_id, exc_info=True)

    async def layer_returned(self):
        for run_id in list(self.runs):
            await self.channel_layer.group_add(run_control_group(run_id), self.channel_name)
        return None

    async def run_stop(self, message: dict) -> None:
        entry = self.runs.get(_run_id(message))
        if entry is not None:
            entry[1].set()

    async def run_approval(self, message: dict) -> None:
        # The approvals of this process's runs are keyed by the id as the approval book holds it: text.
        approval_deliver(run_id=message["run_id"], call_id=message["call_id"], approved=message["approved"] is True)

    async def _forget(self, run_id: UUID, task: asyncio.Task) -> None:
        try:
            self.runs.pop(run_id, None)
            if not task.cancelled() and task.exception() is not None:
                logger.error("run %s crashed", run_id, exc_info=task.exception())
                if await database_sync_to_async(run_fail_crashed)(run_id=run_id):
                    logger.warning("run %s failed after its crash; its clients were told", run_id)
            await self.channel_layer.group_discard(run_control_group(run_id), self.channel_name)
        except Exception:
            logger.exception("cleaning up after run %s failed", run_id)
        finally:
            self._cleanups.discard(asyncio.current_task())
