"""The relay's sequence logic under any interleaving: the consumer against the real run log and run feed.

The test plays the runner's part (the Run row, appends to the run log, the feed's `run.event` wake-ups) and loses,
repeats and reorders those wake-ups at will, while a client drops its socket and reconnects. Whatever
happens, each socket shows a run's events once each and in order, and the socket still open at the end has
every event of every run it watched. A run's last message always arrives at least once here: a lost terminal
message is the log repair's to mend (its own test below).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts_app.services import user_get_or_create_owner
from sessions_app.feed import run_feed
from sessions_app.models import Run, RunStatus
from sessions_app.runlog import run_log
from sessions_app.services.sessions import session_create
from tests.sessions_app.test_consumer import ws_app

pytestmark = pytest.mark.django_db(transaction=True)

MARKERS = {"session_sync", "replay_start", "replay_end", "heartbeat"}
QUIET_SECONDS = 0.03  # no output for this long: the socket has handled everything sent to it


@dataclass(frozen=True)
class Step:
    delivery: str  # once | drop | twice | late (after the next event's message)
    reconnect_after: bool


def _run_steps(final_deliveries=("once", "twice")):
    """The steps of one run: 2 to 8 events, the last always delivered."""
    body = st.lists(
        st.builds(Step, st.sampled_from(["once", "drop", "twice", "late"]), st.booleans()), min_size=1, max_size=7
    )
    last = st.builds(Step, st.sampled_from(final_deliveries), st.booleans())
    return st.tuples(body, last).map(lambda pair: [*pair[0], pair[1]])


def _event(run: int, index: int, count: int) -> str:
    kind = "stream_start" if index == 0 else "stream_end" if index == count - 1 else "stream_delta"
    return json.dumps({"type": kind, "n": f"r{run}e{index}"})


class Client:
    """One device's sockets, one after another; what each socket showed, in order."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.ws: WebsocketCommunicator | None = None
        self.shown: list[list[dict]] = []

    async def connect(self) -> None:
        self.ws = WebsocketCommunicator(ws_app(), f"/ws/sessions/{self.session_id}")
        connected, _ = await self.ws.connect()
        assert connected
        self.shown.append([])
        await self.drain()  # the consumer looks up the run and replays its log after accepting: let it finish

    async def drain(self) -> None:
        while not await self.ws.receive_nothing(timeout=QUIET_SECONDS, interval=0.005):
            self.shown[-1].append(await self.ws.receive_json_from())

    async def reconnect(self) -> None:
        await self.drain()
        await self.ws.disconnect()
        await self.connect()


async def _wake(session_id: str, message: dict) -> None:
    """The runner's wake-up of a logged event, as the feed carries it."""
    await run_feed().announce(
        session_id=session_id,
        run_id=message["run_id"],
        seq=message["seq"],
        text=message["event"],
        final=message["final"],
    )


def _run_events(shown: list[dict]) -> list[str]:
    return [event["n"] for event in shown if event["type"] not in MARKERS]


async def _play(session_id: str, runs: list[list[Step]], reconnect_first: bool) -> tuple[Client, list[list[str]]]:
    client = Client(session_id)
    await client.connect()
    if reconnect_first:
        await client.reconnect()
    logs: list[list[str]] = []
    for number, steps in enumerate(runs):
        run = await sync_to_async(Run.objects.create)(session_id=session_id, status=RunStatus.RUNNING)
        run_id, late, texts = str(run.id), [], []
        for index, step in enumerate(steps):
            final = index == len(steps) - 1
            text = _event(number, index, len(steps))
            if final:  # the run is closed in the database before its terminal event goes out
                await sync_to_async(Run.objects.filter(id=run.id).update)(status=RunStatus.COMPLETED)
            seq = await run_log().append(run_id, text, final)
            texts.append(text)
            message = {"type": "run.event", "run_id": run_id, "seq": seq, "event": text, "final": final}
            sends = {"once": [message], "drop": [], "twice": [message, message], "late": []}[step.delivery]
            for held in [*sends, *late]:
                await _wake(session_id, held)
            late = [message] if step.delivery == "late" else []
            if step.reconnect_after:
                await client.reconnect()
        logs.append([json.loads(text)["n"] for text in texts])
    await client.drain()
    await client.ws.disconnect()
    return client, logs


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(runs=st.lists(_run_steps(), min_size=1, max_size=2), reconnect_first=st.booleans())
def test_any_interleaving_of_reconnects_drops_and_repeats_shows_every_event_once_in_order(runs, reconnect_first):
    channel_layers.backends.clear()  # a fresh layer for this example's event loop
    session_id = str(session_create(user=user_get_or_create_owner(), profile_id="secretary").id)
    client, logs = asyncio.run(_play(session_id, runs, reconnect_first))
    for shown in client.shown:
        # Each socket: for each run it saw, a prefix of that run's log, runs in order, nothing twice.
        events, position = _run_events(shown), 0
        for log in logs:
            seen = [n for n in events[position:] if n.startswith(log[0][:2])]
            assert seen == log[: len(seen)], (shown, logs)
            position += len(seen)
        assert position == len(events), (shown, logs)
    # The socket open at the end saw every run that had not ended when it connected, whole.
    last, last_connected_at = _run_events(client.shown[-1]), _connected_during(runs)
    expected = [n for number, log in enumerate(logs) if number >= last_connected_at for n in log]
    assert last == expected, (client.shown[-1], logs)


def _connected_during(runs: list[list[Step]]) -> int:
    """The run during which the last socket connected (a run's last step: it connected after that run)."""
    current = 0
    for number, steps in enumerate(runs):
        for index, step in enumerate(steps):
            if step.reconnect_after:
                current = number + 1 if index == len(steps) - 1 else number
    return current


@pytest.mark.asyncio
async def test_a_terminal_event_whose_channel_message_was_lost_still_reaches_the_socket(settings):
    """The runner appended the run's end to the log, but its channel message never came (a Redis hiccup, a
    full channel): the socket learns of the end from the log within a few heartbeats."""
    settings.NAVI_HEARTBEAT_SECONDS = 0.2
    channel_layers.backends.clear()
    session = await sync_to_async(session_create)(
        user=await sync_to_async(user_get_or_create_owner)(), profile_id="secretary"
    )
    run = await sync_to_async(Run.objects.create)(session=session, status=RunStatus.RUNNING)
    run_id = str(run.id)
    client = Client(str(session.id))
    await client.connect()
    start = _event(0, 0, 2)
    seq = await run_log().append(run_id, start, False)
    await _wake(str(session.id), {"run_id": run_id, "seq": seq, "event": start, "final": False})
    await sync_to_async(Run.objects.filter(id=run.id).update)(status=RunStatus.COMPLETED)
    await run_log().append(run_id, _event(0, 1, 2), True)  # ... and no channel message for it
    seen = []
    while not seen or seen[-1]["type"] != "stream_end":
        event = await client.ws.receive_json_from(timeout=3)
        if event["type"] != "heartbeat":
            seen.append(event)
    assert [event["n"] for event in seen if event["type"] not in MARKERS] == ["r0e0", "r0e1"]
    await client.ws.disconnect()
