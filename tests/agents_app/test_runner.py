"""The agent runner consumer through an ApplicationCommunicator, as `runworker agent-runner` drives it: the
`run.start` a submit sends is taken from the runner channel and handed to the consumer."""

from __future__ import annotations

import asyncio
import json

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import ApplicationCommunicator

from accounts_app.services import user_get_or_create_owner
from agents_app.runner import AgentRunnerConsumer
from sessions_app.models import Message, Run, RunStatus
from sessions_app.runlog import run_log
from sessions_app.services.dispatch import RUNNER_CHANNEL
from sessions_app.services.runs import UserMessage, message_submit, run_request_stop
from sessions_app.services.sessions import session_create
from tests.fakes.fake_ollama import script

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest_asyncio.fixture
async def layer():
    channel_layers.backends.clear()  # layers hold loop-bound state
    layer = get_channel_layer()
    yield layer
    channel_layers.backends.clear()


@pytest_asyncio.fixture
async def runner(layer):
    communicator = ApplicationCommunicator(AgentRunnerConsumer.as_asgi(), {"type": "channel"})
    yield communicator
    communicator.stop(exceptions=False)


@database_sync_to_async
def submit(content: str) -> tuple[str, str]:
    user = user_get_or_create_owner()
    session = session_create(user=user, profile_id="secretary")
    run = message_submit(user=user, session_id=session.id, message=UserMessage(content=content))
    return str(session.id), str(run.id)


@database_sync_to_async
def run_state(run_id: str) -> tuple[str, list[tuple[str, str]]]:
    run = Run.objects.get(id=run_id)
    rows = [(m.role, m.content) for m in Message.objects.filter(run_id=run_id).order_by("id")]
    return run.status, rows


async def start_message(layer, run_id: str) -> dict:
    """The message a submit sent to the runner channel for `run_id`, as the worker would receive it. The
    channel is shared (with Redis, by every test of the run): what earlier tests left on it is passed over."""

    async def receive() -> dict:
        while (message := await layer.receive(RUNNER_CHANNEL)).get("run_id") != run_id:
            pass
        return message

    return await asyncio.wait_for(receive(), 5)


async def logged_until_final(run_id: str, timeout: float = 15) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        entries = await run_log().read(run_id)
        if entries and entries[-1].final:
            return [json.loads(entry.text) for entry in entries]
        assert asyncio.get_running_loop().time() < deadline, f"no final event in {entries}"
        await asyncio.sleep(0.05)


async def streaming(run_id: str) -> None:
    """Once the run has streamed part of its answer."""
    for _ in range(300):
        if any(json.loads(e.text)["type"] == "stream_delta" for e in await run_log().read(run_id)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the run streamed nothing")


async def test_run_start_drives_the_run_to_a_stored_answer_and_a_final_logged_event(fake_ollama, layer, runner):
    session_id, run_id = await submit("hi " + script({"content": "Hello from the runner"}))
    message = await start_message(layer, run_id)
    assert message == {"type": "run.start", "run_id": run_id}

    await runner.send_input(message)
    events = await logged_until_final(run_id)

    assert [e["type"] for e in events][0] == "stream_start" and events[-1]["type"] == "stream_end"
    assert "".join(e["delta"] for e in events if e["type"] == "stream_delta") == "Hello from the runner"
    status, rows = await run_state(run_id)
    assert status == RunStatus.COMPLETED
    assert rows[-1] == ("assistant", "Hello from the runner")


async def test_a_repeated_run_start_runs_the_run_once(fake_ollama, layer, runner):
    _, run_id = await submit("hi " + script({"content": "only once", "delay": 0.05}))
    message = await start_message(layer, run_id)
    await runner.send_input(message)
    await runner.send_input(message)  # redelivered while it runs
    events = await logged_until_final(run_id)
    await runner.send_input(message)  # and after it ended
    await asyncio.sleep(0.3)

    assert [e["type"] for e in events].count("stream_start") == 1
    assert len(await run_log().read(run_id)) == len(events)
    assert [r for r in (await run_state(run_id))[1] if r[0] == "assistant"] == [("assistant", "only once")]


async def test_run_stop_reaches_the_consumer_through_the_runs_control_group(fake_ollama, layer, runner):
    session_id, run_id = await submit("hi " + script({"tokens": 400, "delay": 0.05}))
    await runner.send_input(await start_message(layer, run_id))
    await streaming(run_id)

    stopped = await database_sync_to_async(
        lambda: run_request_stop(user=user_get_or_create_owner(), session_id=session_id)
    )()
    events = await logged_until_final(run_id)

    assert stopped is True
    assert events[-1]["type"] == "stream_stopped"
    status, rows = await run_state(run_id)
    assert status == RunStatus.STOPPED
    kept = rows[-1]
    assert kept[0] == "assistant" and kept[1].startswith("tok0 ") and "tok399" not in kept[1]


@pytest_asyncio.fixture
async def worker_on_own_redis(tmp_path, settings):
    """A runner worker as `runworker agent-runner` runs it, its channel layer and run log on a Redis of its own."""
    from channels.routing import ChannelNameRouter

    from sessions_app import runlog
    from sessions_app.layer_outages import OutageTolerantWorker
    from tests.redis_process import RedisProcess

    server = RedisProcess(tmp_path)
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [server.url]}}
    }
    channel_layers.backends.clear()
    saved, runlog.run_log.instance = runlog.run_log.instance, runlog.RedisRunLog(server.url)
    app = ChannelNameRouter({RUNNER_CHANNEL: AgentRunnerConsumer.as_asgi()})
    worker = OutageTolerantWorker(application=app, channels=[RUNNER_CHANNEL], channel_layer=get_channel_layer())
    task = asyncio.create_task(worker.arun())
    yield server, task
    task.cancel()
    for details in list(worker.application_instances.values()):
        details["future"].cancel()
    await asyncio.gather(task, return_exceptions=True)
    runlog.run_log.instance = saved
    channel_layers.backends.clear()
    server.kill()


async def test_the_worker_lives_through_a_redis_restart_and_its_run_hears_a_stop_sent_after_it(
    fake_ollama, worker_on_own_redis
):
    import redis.asyncio as redis

    from sessions_app.runlog import run_control_group

    server, worker = worker_on_own_redis
    _, run_id = await submit("hi " + script({"tokens": 400, "delay": 0.05}))  # 20 s of answer
    await streaming(run_id)
    await asyncio.to_thread(server.restart_empty)  # its channels, its runs' groups and their logs are gone
    client, deadline = redis.Redis.from_url(server.url), asyncio.get_running_loop().time() + 15
    while not await client.exists(f"asgi:group:{run_control_group(run_id)}"):  # joined again
        assert not worker.done() and asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    await client.aclose()
    # Through the group only: the database's stop flag (which the run's heartbeat reads) stays unset.
    await get_channel_layer().group_send(run_control_group(run_id), {"type": "run.stop", "run_id": run_id})
    events = await logged_until_final(run_id, timeout=10)
    assert events[-1]["type"] == "stream_stopped"
    assert (await run_state(run_id))[0] == RunStatus.STOPPED
    _, next_run = await submit("still there?")  # its listener lived on: the next run is taken and answered
    assert (await logged_until_final(next_run))[-1]["content"] == "Echo: still there?"
