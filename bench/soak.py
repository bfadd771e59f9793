"""`make soak`: many users at once for a bounded time, against the embedded setup and the Redis setup.

Each user keeps a session and a socket and, at random, sends messages (streamed by the fake Ollama), stops a
run, drops its socket mid-run and reconnects (to any front end), uploads a file, or deletes its session and
starts another. Printed per setup: requests, the 5xx count (target 0), runs whose events arrived lost or doubled
(target 0), and p50/p99 latency per endpoint.

    python -m bench.soak [--minutes 5] [--users 50] [--quick] [--only embedded|scaled]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import websockets

from bench.run import start_fake
from bench.streams import pct
from tests.e2e.servers import start_servers
from tests.fakes.fake_ollama import script

TERMINAL = {"stream_end", "stream_stopped", "error"}
TIMINGS = {"NAVI_LOG_LEVEL": "ERROR", "NAVI_HEARTBEAT_SECONDS": "5", "NAVI_RUN_STALE_SECONDS": "30"}
ACTIONS = ["message"] * 5 + ["stop", "reconnect", "upload", "delete"]


class Tally:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.requests = self.server_errors = self.runs = self.broken_runs = 0
        self.problems: list[str] = []

    def note(self, endpoint: str, seconds: float, status: int) -> None:
        self.requests += 1
        self.latency[endpoint].append(seconds)
        if status >= 500:
            self.server_errors += 1
            self.problems.append(f"{endpoint}: {status}")


class User:
    def __init__(self, servers, tally: Tally, rng: random.Random) -> None:
        self.servers, self.tally, self.rng = servers, tally, rng
        self.api = httpx.AsyncClient(timeout=60)
        self.sid: str | None = None
        self.ws = None

    async def rest(self, endpoint: str, method: str, path: str, **kwargs) -> httpx.Response:
        base = self.rng.choice(self.servers.front_ends)
        started = time.perf_counter()
        response = await self.api.request(method, base + path, **kwargs)
        self.tally.note(endpoint, time.perf_counter() - started, response.status_code)
        return response

    async def new_session(self) -> None:
        response = await self.rest("POST /sessions", "POST", "/sessions", json={"profile_id": "secretary"})
        if response.status_code != 201:
            self.tally.problems.append(f"POST /sessions: {response.status_code} {response.text[:120]}")
            return
        self.sid = response.json()["session_id"]
        await self.connect()

    async def connect(self) -> list[dict]:
        """A socket on a random front end; returns the events it opened with (a replay, or session_sync)."""
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
        base = self.rng.choice(self.servers.front_ends)
        started = time.perf_counter()
        self.ws = await websockets.connect(self.servers.ws_url(base, self.sid), max_size=None, open_timeout=30)
        opening = [await self.next()]
        if opening[0]["type"] == "stream_start":
            opening.append(await self.next())
            if opening[-1]["type"] == "replay_start":
                for _ in range(opening[-1]["count"] + 1):  # the replayed events, replay_end
                    opening.append(await self.next())
        self.tally.note("WS connect (to sync or replay end)", time.perf_counter() - started, 200)
        return opening

    async def next(self, timeout: float = 60) -> dict:
        while True:
            event = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if event["type"] != "heartbeat":
                return event

    async def settle(self, opening: list[dict]) -> None:
        """A socket that opened on a run still going follows it to its end before the user types again."""
        events = [e for e in opening if e["type"] not in ("replay_start", "replay_end", "session_sync")]
        while events and events[-1]["type"] not in TERMINAL:
            events.append(await self.next())

    async def message(self, action: str) -> None:
        words = " ".join(f"t{self.rng.randrange(1000)}" for _ in range(self.rng.randint(5, 60)))
        delay = 0.02 if action == "message" else 0.05
        started = time.perf_counter()
        await self.ws.send(
            json.dumps({"type": "message", "content": "soak " + script({"content": words, "delay": delay})})
        )
        events = [await self.next()]
        if events[0]["type"] == "error":  # refused (a run still active after a reconnect): not a fault
            self.tally.problems.append(f"message refused: {events[0]['message']}")
            return
        self.tally.note("WS message (to stream_start)", time.perf_counter() - started, 200)
        if action == "stop":
            await asyncio.sleep(self.rng.uniform(0.05, 0.5))
            await self.rest("POST /sessions/{id}/stop", "POST", f"/sessions/{self.sid}/stop")
        elif action == "reconnect":
            await asyncio.sleep(self.rng.uniform(0.05, 0.5))
            opening = await self.connect()
            events = [e for e in opening if e["type"] not in ("replay_start", "replay_end", "session_sync")]
            if not events:  # the run ended before the socket looked: its answer is in the session
                return await self._check_stored(words)
        while events[-1]["type"] not in TERMINAL:
            events.append(await self.next())
        self.tally.note("WS run (to its end)", time.perf_counter() - started, 200)
        self._check(events, words)

    def _check(self, events: list[dict], words: str) -> None:
        self.tally.runs += 1
        deltas = "".join(e["delta"] for e in events if e["type"] == "stream_delta")
        end = events[-1]
        whole = end["type"] == "stream_end" and deltas == words == end["content"]
        cut = end["type"] == "stream_stopped" and words.startswith(deltas)
        if not (whole or cut) or [e["type"] for e in events].count("stream_start") != 1:
            self.tally.broken_runs += 1
            self.tally.problems.append(f"run events lost or doubled: ended {end}, {len(deltas)} of {len(words)}")

    async def _check_stored(self, words: str) -> None:
        response = await self.rest("GET /sessions/{id}", "GET", f"/sessions/{self.sid}")
        self.tally.runs += 1
        if response.status_code == 200 and (response.json()["messages"][-1]["content"] or "") != words:
            self.tally.broken_runs += 1
            self.tally.problems.append("run answer not stored whole")

    async def act(self) -> None:
        action = self.rng.choice(ACTIONS)
        if action in ("message", "stop", "reconnect"):
            await self.message(action)
        elif action == "upload":
            body = {"file": (f"notes-{self.rng.randrange(99)}.txt", b"x" * self.rng.randint(1, 200_000))}
            await self.rest("POST /sessions/{id}/files", "POST", f"/sessions/{self.sid}/files", files=body)
        else:
            await self.rest("DELETE /sessions/{id}", "DELETE", f"/sessions/{self.sid}")
            await self.ws.close()
            self.ws = None  # the next turn starts a new session

    async def run_until(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                await (self.act() if self.ws is not None else self.new_session())
            except (OSError, TimeoutError, websockets.WebSocketException, httpx.HTTPError, KeyError) as exc:
                self.tally.problems.append(f"{type(exc).__name__}: {exc}")
                self.tally.server_errors += isinstance(exc, websockets.ConnectionClosedError)
                try:
                    await self.settle(await self.connect())
                except (OSError, TimeoutError, websockets.WebSocketException) as again:
                    self.tally.problems.append(f"reconnect: {type(again).__name__}: {again}")
        if self.ws is not None:
            await self.ws.close()
        await self.api.aclose()


async def soak_setup(name: str, fake_url: str, args, **urls) -> None:
    with tempfile.TemporaryDirectory(prefix="navi-soak-") as tmp:
        servers = start_servers(Path(tmp), ollama_url=fake_url, extra_env=TIMINGS, **urls)
        try:
            tally = Tally()
            deadline = time.monotonic() + args.minutes * 60
            users = [User(servers, tally, random.Random(f"{args.seed}-{i}")) for i in range(args.users)]
            started = time.monotonic()
            await asyncio.gather(*(user.run_until(deadline) for user in users))
            print(f"\n## {name}: {args.users} users for {time.monotonic() - started:.0f} s")
            print(f"requests: {tally.requests}, 5xx (and 1011 closes): {tally.server_errors} (target 0), runs: "
                  f"{tally.runs}, lost or doubled events: {tally.broken_runs} runs (target 0)")  # fmt: skip
            for endpoint, values in sorted(tally.latency.items()):
                ms = [v * 1000 for v in values]
                print(f"  {endpoint:38} {len(ms):6} calls  p50 {pct(ms, 50):8.1f} ms  p99 {pct(ms, 99):8.1f} ms")
            for problem in sorted(set(tally.problems))[:15]:
                print("  !", problem)
        finally:
            servers.stop()


def scaled_urls() -> tuple[str, str] | None:
    """PostgreSQL and Redis for the scaled setup (SOAK_DATABASE_URL, SOAK_REDIS_URL), when both answer."""
    urls = (
        os.environ.get("SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/navi"),
        os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    for url in urls:
        parts = urlsplit(url)
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((parts.hostname, parts.port)) != 0:
                return None
    return urls


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="a short run while developing: 10 users, 30 s")
    parser.add_argument("--only", choices=["embedded", "scaled"])
    parser.add_argument("--seed", default="navi")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.users = 0.5, 10
    fake, fake_url = start_fake()
    try:
        if args.only in (None, "embedded"):
            await soak_setup("embedded (SQLite, in-memory layer)", fake_url, args, database_url="", redis_url="")
        if args.only in (None, "scaled"):
            urls = scaled_urls()
            if urls:
                await soak_setup("scaled (PostgreSQL + Redis)", fake_url, args, database_url=urls[0], redis_url=urls[1])
            else:
                print("\n## scaled: not run, SOAK_DATABASE_URL and SOAK_REDIS_URL (PostgreSQL, Redis) must both answer")
    finally:
        fake.terminate()


if __name__ == "__main__":
    asyncio.run(main())
