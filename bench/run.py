"""`make bench`: what Navi adds on top of Ollama, measured side by side against the fake Ollama.

For each setup (embedded: one daphne with the in-process runner on SQLite; scaled: two daphne front ends + two
`runworker agent-runner` on PostgreSQL + Redis, when both answer) it prints:
  1. first-token latency through Navi (WebSocket) versus reading the fake Ollama directly, and the difference;
  2. one 5,000-token stream's relay rate as a ratio of the direct rate;
  3. N concurrent sessions streaming stamped tokens (200 and 500 by default): streams intact, the lag from
     the fake writing a token to the client receiving it (p50/p99), and the wait from each message to its first
     delta (the run's start, under the load of the others);
  4. per streamed token, the WebSocket messages the clients received and (scaled) the Redis commands the
     servers ran (INFO commandstats before and after; the bench's Redis is a server of its own when
     `redis-server` is installed, so nobody else's commands are counted);
  5. each front end's RSS with 500 sockets open and idle: on a fresh server, and after the rows above (what
     the load left allocated).
`--quick` is a CI-sized run: fewer samples, rows of 100 and 200 sessions, 200 idle sockets (both setups in
about 90 s on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ollama

from bench.streams import Frames, concurrent, idle_sockets_rss, navi_first_token, navi_rate
from tests.e2e.servers import ROOT, free_port, start_servers
from tests.fakes.fake_ollama import script

MODEL = "gemma4:26b-a4b-it-q4_K_M"
# The servers run with the defaults a deployment has, not the short intervals the e2e tests use.
PRODUCTION_TIMINGS = {"NAVI_LOG_LEVEL": "ERROR", "NAVI_HEARTBEAT_SECONDS": "20", "NAVI_RUN_STALE_SECONDS": "30"}
# The targets of each figure: embedded, scaled.
TARGETS = {
    "first_token_ms": (5, 10),
    "rate": (0.95, 0.95),
    "lag_p99_ms": {200: (150, 300), 500: (300, 500)},
    "per_token": 0.1,
    "rss_mb": 150,
}


def start_fake() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_ollama", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    line = proc.stdout.readline()
    return proc, line.strip().rsplit(" ", 1)[-1]


# --- Direct: the ollama client reading the fake, as Navi's runner does ---------------------------------------


async def direct_first_token(url: str, samples: int) -> list[float]:
    client = ollama.AsyncClient(host=url, timeout=30)
    out = []
    for _ in range(samples):
        started = time.perf_counter()
        stream = await client.chat(
            model=MODEL,
            messages=[{"role": "user", "content": "hi " + script({"content": "Hello there"})}],
            stream=True,
            think=True,  # as the benchmark's profile asks (secretary: think: true), so both read the same stream
        )
        async for part in stream:
            if part.message.content:
                out.append(time.perf_counter() - started)
                break
        async for _part in stream:
            pass
    return out


async def direct_rate(url: str, tokens: int) -> float:
    """Tokens per second from the request to the last token, as bench.streams.navi_rate counts Navi's."""
    client = ollama.AsyncClient(host=url, timeout=60)
    started = time.perf_counter()
    stream = await client.chat(
        model=MODEL, messages=[{"role": "user", "content": script({"tokens": tokens})}], stream=True, think=True
    )
    count = 0
    async for part in stream:
        if part.message.content:
            count += 1
            last = time.perf_counter()
    return count / (last - started)


def services_up() -> tuple[str | None, str | None]:
    import socket

    def answers(port: int) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    pg = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/navi") if answers(5432) else None
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0") if answers(6379) else None
    return pg, redis


class RedisCounter:
    """Commands a Redis server ran, from INFO commandstats (the INFO calls themselves left out)."""

    def __init__(self, url: str | None) -> None:
        import redis

        self.client = redis.Redis.from_url(url) if url else None

    def total(self) -> int | None:
        if self.client is None:
            return None
        stats = self.client.info("commandstats")
        return sum(v["calls"] for k, v in stats.items() if not k.startswith(("cmdstat_info", "info")))


def private_redis(workdir: Path) -> tuple[str, subprocess.Popen] | None:
    if not shutil.which("redis-server"):
        return None
    import redis

    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url).ping()
            return url, proc
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    return None


def target(value: float, goal: float, *, at_most: bool = True) -> str:
    met = value <= goal if at_most else value >= goal
    return f"(target {'<=' if at_most else '>='} {goal:g}: {'met' if met else 'MISSED'})"


def per_token(count: int | None, tokens: int) -> str:
    return "n/a" if count is None or not tokens else f"{count / tokens:.3f}"


def print_rss(when: str, rss: list[tuple[float, float]], args) -> None:
    print(
        f"RSS with {args.idle_sockets} idle sockets per front end, {when}: "
        + ", ".join(f"{after:.0f} MB (from {idle:.0f} MB)" for idle, after in rss)
        + " "
        + target(max(after for _, after in rss), TARGETS["rss_mb"]),
        flush=True,
    )


async def bench_setup(name: str, fake_url: str, args, scaled: bool, **urls) -> None:
    col = 1 if scaled else 0
    with tempfile.TemporaryDirectory(prefix="navi-bench-") as tmp:
        servers = start_servers(Path(tmp), ollama_url=fake_url, extra_env=PRODUCTION_TIMINGS, **urls)
        counter = RedisCounter(servers.env.get("REDIS_URL"))
        try:
            print(
                f"\n## {name}: {len(servers.front_ends)} front end(s)"
                + (", 2 workers" if servers.uses_workers else ", in-process runner"),
                flush=True,
            )
            print_rss("fresh", await idle_sockets_rss(servers, args.idle_sockets), args)
            direct = await direct_first_token(fake_url, args.samples)
            first_event, first_token = await navi_first_token(servers, args.samples)
            d50, n50 = statistics.median(direct) * 1000, statistics.median(first_token) * 1000
            print(
                f"first token: direct p50 {d50:.1f} ms, through Navi p50 {n50:.1f} ms (stream_start p50 "
                f"{statistics.median(first_event) * 1000:.1f} ms) -> added p50 {n50 - d50:.1f} ms "
                + target(n50 - d50, TARGETS["first_token_ms"][col]),
                flush=True,
            )
            # Alternate the two readings and take medians: the machine's other work shifts single readings.
            direct_rates, navi_rates, intact, frames = [], [], True, Frames()
            before = counter.total()
            for _ in range(args.trials):
                direct_rates.append(await direct_rate(fake_url, args.tokens))
                rate, ok = await navi_rate(servers, args.tokens, frames)
                navi_rates.append(rate)
                intact = intact and ok
            commands = None if before is None else counter.total() - before
            direct_tps, navi_tps = statistics.median(direct_rates), statistics.median(navi_rates)
            streamed = args.tokens * args.trials
            print(
                f"{args.tokens}-token stream, median of {args.trials}: direct {direct_tps:,.0f} tok/s, through Navi "
                f"{navi_tps:,.0f} tok/s -> ratio {navi_tps / direct_tps:.2f} "
                + target(navi_tps / direct_tps, TARGETS["rate"][col], at_most=False)
                + f", intact: {intact}; per token: {per_token(frames.count, streamed)} WebSocket messages, "
                f"{per_token(commands, streamed)} Redis commands",
                flush=True,
            )
            for sessions in args.sessions:
                before = counter.total()
                result = await concurrent(servers, sessions, args.stream_tokens, args.delay)
                commands = None if before is None else counter.total() - before
                streamed = sessions * args.stream_tokens
                goal = TARGETS["lag_p99_ms"][200 if sessions <= 200 else 500][col]
                print(
                    f"{sessions} sessions x {args.stream_tokens} tokens at {1 / args.delay:.0f} tok/s: "
                    f"{result.intact}/{sessions} intact, lag p50 {result.lag_ms(50):.1f} ms, p99 "
                    f"{result.lag_ms(99):.1f} ms {target(result.lag_ms(99), goal)}, first delta p50 "
                    f"{result.first_ms(50):.0f} ms / p99 {result.first_ms(99):.0f} ms, {len(result.lags)} tokens in "
                    f"{result.wall_s:.1f} s; per token: {per_token(result.frames, streamed)} WebSocket messages, "
                    f"{per_token(commands, streamed)} Redis commands",
                    flush=True,
                )
                if result.errors:
                    print("errors:", *result.errors, sep="\n  ")
            print_rss("after the rows above", await idle_sockets_rss(servers, args.idle_sockets), args)
        finally:
            servers.stop()


async def main() -> None:
    # The client's own collector pauses would count as the servers' lag: its start-up objects are left out of
    # them, and its young ones collected less often (as the servers do, navi_project.asgi).
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a CI-sized run: fewer samples, smaller rows")
    parser.add_argument("--samples", type=int)
    parser.add_argument("--tokens", type=int, default=5000)
    parser.add_argument("--trials", type=int, help="alternating direct/Navi readings of the stream rate")
    parser.add_argument("--sessions", type=lambda s: [int(n) for n in s.split(",")], help="rows, e.g. 200,500")
    parser.add_argument("--stream-tokens", type=int)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between tokens of each concurrent stream")
    parser.add_argument("--idle-sockets", type=int)
    parser.add_argument("--only", choices=["embedded", "scaled"])
    args = parser.parse_args()
    quick = {"samples": 10, "trials": 2, "sessions": [100, 200], "stream_tokens": 20, "idle_sockets": 200}
    defaults = quick if args.quick else {}
    defaults = {
        "samples": 30,
        "trials": 5,
        "sessions": [200, 500],
        "stream_tokens": 100,
        "idle_sockets": 500,
        **defaults,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    fake, fake_url = start_fake()
    redis_dir = tempfile.TemporaryDirectory(prefix="navi-bench-redis-")
    own_redis = None
    try:
        print(f"Navi benchmark against the fake Ollama at {fake_url} ({os.cpu_count()} cores)")
        if args.only in (None, "embedded"):
            await bench_setup(
                "embedded (SQLite, in-memory layer)", fake_url, args, False, database_url="", redis_url=""
            )
        pg, redis = services_up()
        if args.only in (None, "scaled"):
            if pg and redis:
                own_redis = private_redis(Path(redis_dir.name))
                redis = own_redis[0] if own_redis else redis
                await bench_setup("scaled (PostgreSQL + Redis)", fake_url, args, True, database_url=pg, redis_url=redis)
            else:
                print("\n## scaled: skipped, PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 must both answer")
    finally:
        fake.terminate()
        if own_redis:
            own_redis[1].terminate()
        redis_dir.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
