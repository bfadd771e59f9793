"""A busy household against the real server: many sessions writing at once, and races on one session."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.e2e.client import connect, new_session
from tests.fakes.fake_ollama import script

pytestmark = pytest.mark.asyncio

SESSIONS = 90


async def _new_sessions(base: str, count: int) -> list[str]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        responses = await asyncio.gather(
            *(client.post("/sessions", json={"profile_id": "secretary"}) for _ in range(count))
        )
    assert [r.status_code for r in responses] == [201] * count, [r.text for r in responses if r.status_code != 201]
    return [r.json()["session_id"] for r in responses]


async def test_ninety_sessions_sending_at_once_all_get_their_answer(live):
    sids = await _new_sessions(live.url, SESSIONS)
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=SESSIONS)) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{live.front_ends[i % len(live.front_ends)]}/sessions/{sid}/messages", json={"content": f"n{i}"}
                )
                for i, sid in enumerate(sids)
            )
        )
    failed = [(r.status_code, r.text) for r in responses if r.status_code != 200]
    assert failed == []
    assert [r.json()["content"] for r in responses] == [f"Echo: n{i}" for i in range(SESSIONS)]


async def _until_end(ws, timeout: float = 60) -> list[dict]:
    """Events up to the run's terminal one; input errors (a refused submit) come before it."""
    seen = []
    while True:
        event = await ws.next(timeout)
        seen.append(event)
        if event["type"] in ("stream_end", "stream_stopped") or (
            event["type"] == "error" and "deleted" in event["message"]
        ):
            return seen


async def test_stops_deletes_and_socket_submits_racing_under_load_never_fail(live):
    sids = await _new_sessions(live.url, SESSIONS + 10)
    sids, waiting = sids[:SESSIONS], sids[SESSIONS:]  # the last ten wait for their run over REST
    slow = script({"content": " ".join(["tick"] * 1200), "delay": 0.05})  # a minute: the stops come first
    sockets = await asyncio.gather(*(connect(live.ws_url(live.other_url(), sid)) for sid in sids))
    for ws in sockets:
        assert (await ws.next())["type"] == "session_sync"
        await ws.message("slow " + slow)
    for ws in sockets:
        await ws.until("stream_start")
    half = SESSIONS // 2
    stopped, deleted = sids[:half], sids[half:]
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=2 * SESSIONS)) as client:
        replies = [
            asyncio.create_task(client.post(f"{live.url}/sessions/{sid}/messages", json={"content": "slow " + slow}))
            for sid in waiting
        ]
        await asyncio.sleep(1.0)

        async def submit(ws) -> None:
            await ws.message("racing the delete")

        results = await asyncio.gather(
            *(client.post(f"{live.url}/sessions/{sid}/stop") for sid in stopped),
            *(client.delete(f"{live.other_url()}/sessions/{sid}") for sid in deleted + waiting),
            *(submit(ws) for ws in sockets[half : half + 20]),
        )
        answers = await asyncio.gather(*replies)
    http = results[: SESSIONS + len(waiting)]
    assert [r.status_code for r in http] == [200] * half + [204] * (SESSIONS - half + len(waiting))
    assert [r.json() for r in http[:half]] == [{"ok": True}] * half
    # A request waiting for its run when its session goes away: 404, as for any session that is not there.
    assert [a.status_code for a in answers] == [404] * len(waiting)
    ends = await asyncio.gather(*(_until_end(ws) for ws in sockets))
    assert [events[-1]["type"] for events in ends[:half]] == ["stream_stopped"] * half
    assert [events[-1]["message"] for events in ends[half:]] == ["The session was deleted."] * (SESSIONS - half)
    for ws, events in zip(sockets[half : half + 20], ends[half : half + 20], strict=True):
        # The racing submit is refused in words (run active, or session gone), before or after the delete's end.
        refusals = [e for e in events if e["type"] == "error" and "deleted" not in e["message"]]
        if not refusals:
            refusals = [await ws.next()]
        assert [e["type"] for e in refusals] == ["error"]
        assert "still being generated" in refusals[0]["message"] or refusals[0]["message"] == "Session not found"
    for ws in sockets:
        await ws.close()
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
        gone = await asyncio.gather(*(client.get(f"/sessions/{sid}") for sid in deleted + waiting))
        kept = await asyncio.gather(*(client.get(f"/sessions/{sid}") for sid in stopped))
    assert {r.status_code for r in gone} == {404}
    assert {r.status_code for r in kept} == {200}
    assert "IntegrityError" not in live.tail_logs(lines=100000)


async def test_two_messages_at_once_on_one_session_answer_one_reply_and_one_409(live):
    slowish = script({"content": "one two three", "delay": 0.2})  # still running when the other one arrives
    async with httpx.AsyncClient(timeout=60) as client:
        for attempt in range(20):
            sid = new_session(live.url)
            first, second = await asyncio.gather(
                client.post(f"{live.url}/sessions/{sid}/messages", json={"content": f"a{attempt} {slowish}"}),
                client.post(f"{live.other_url()}/sessions/{sid}/messages", json={"content": f"b{attempt} {slowish}"}),
            )
            assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
            refused = first if first.status_code == 409 else second
            assert "still being generated" in refused.json()["error"]
