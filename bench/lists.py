"""`python -m bench.lists [--quick]`: GET /sessions and GET /sessions/{id} latency at scale.

Starts Navi (one daphne on SQLite; and, when PostgreSQL answers on its usual port, one on PostgreSQL), gives
its owner --sessions sessions of 20 messages each (a question, a tool call, its result, an answer; every 25th
session pinned) and one session of --long messages, and times sequential requests over one keep-alive
connection: the plain list (every session, as the API reference describes it), its first page and a page from
the middle (`?limit=50&before=...`), the long session's history and a 20-message one's. Prints p50 and p99 of
each beside the targets (p50 <= 20 ms for the list of 10,000 sessions, <= 40 ms for 2,000 messages) and what
the cheapest requests (/health, /auth/me) cost on the same machine. `--quick`: 1,000 sessions, fewer requests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.run import services_up
from tests.admin_app.seeding import seed
from tests.e2e.servers import start_servers
from tests.sessions_app.seeding import MODULE

LIST_TARGET_MS = 20.0
DETAIL_TARGET_MS = 40.0
PAGE = 50


def _timed(client: httpx.Client, path: str, params: dict, requests: int, budget: float) -> list[float]:
    """Up to `requests` timed requests, fewer (at least 10) should they take more than `budget` seconds."""
    for _ in range(5):  # warm: connections, caches, the query planner
        client.get(path, params=params).raise_for_status()
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    while len(samples) < requests and (len(samples) < 10 or time.perf_counter() < deadline):
        started = time.perf_counter()
        response = client.get(path, params=params)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def _row(label: str, samples: list[float], target: float | None, size: str) -> str:
    p50 = statistics.median(samples)
    p99 = statistics.quantiles(samples, n=100)[-1] if len(samples) > 1 else samples[0]
    verdict = f"target <= {target:.0f} ms: {'met' if p50 <= target else 'MISSED'}" if target else ""
    return f"{label:<44} {p50:7.1f} {p99:7.1f} {len(samples):5d}  {size:>9}  {verdict}"


def bench(name: str, *, sessions: int, long: int, requests: int, budget: float, **urls) -> None:
    with tempfile.TemporaryDirectory(prefix="navi-bench-lists-") as tmp:
        servers = start_servers(
            Path(tmp), ollama_url="http://127.0.0.1:9", extra_env={"NAVI_LOG_LEVEL": "ERROR"}, **urls
        )
        try:
            with httpx.Client(base_url=servers.url, timeout=60) as client:
                client.get("/auth/me").raise_for_status()  # the local owner exists before the seeding uses it
                started = time.perf_counter()
                made = seed(
                    servers, module=MODULE, action="conversations", sessions=sessions, messages=20, long_messages=long
                )
                print(f"\n## {name}: {sessions:,} sessions of 20 messages and one of {long:,}, "
                      f"written in {time.perf_counter() - started:.1f} s")  # fmt: skip
                print(
                    f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work inflates the figures)"
                )
                ids = made["sessions"]
                listed = client.get("/sessions").json()
                assert len(listed) == sessions + 1, len(listed)
                middle = listed[len(listed) // 2]["session_id"]
                cases = [
                    ("GET /health (floor: no database)", "/health", {}, None),
                    ("GET /auth/me (floor: one small query)", "/auth/me", {}, None),
                    (f"GET /sessions (all {len(listed):,})", "/sessions", {}, LIST_TARGET_MS),
                    (f"GET /sessions?limit={PAGE}", "/sessions", {"limit": PAGE}, LIST_TARGET_MS),
                    (f"GET /sessions?limit={PAGE}&before=(middle)", "/sessions", {"limit": PAGE, "before": middle}, LIST_TARGET_MS),
                    (f"GET /sessions/{{id}} ({long:,} messages)", f"/sessions/{ids[-1]}", {}, DETAIL_TARGET_MS),
                    ("GET /sessions/{id} (20 messages)", f"/sessions/{ids[0]}", {}, None),
                ]  # fmt: skip
                print(f"{'request':<44} {'p50 ms':>7} {'p99 ms':>7} {'n':>5}  {'body':>9}")
                for label, path, params, target in cases:
                    size = f"{len(client.get(path, params=params).content) / 1024:,.0f} KiB"
                    print(_row(label, _timed(client, path, params, requests, budget), target, size), flush=True)
        finally:
            servers.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 sessions, 30 requests each: under a minute")
    parser.add_argument("--sessions", type=int, help="sessions of 20 messages (default 10,000)")
    parser.add_argument("--long", type=int, default=2_000, help="messages of the long session")
    parser.add_argument("--requests", type=int, help="timed requests per case (default 200)")
    parser.add_argument("--only", choices=["embedded", "scaled"], help="scaled: PostgreSQL (as make bench names it)")
    args = parser.parse_args()
    sessions = args.sessions or (1_000 if args.quick else 10_000)
    requests = args.requests or (30 if args.quick else 200)
    options = {"sessions": sessions, "long": args.long, "requests": requests, "budget": 3.0 if args.quick else 20.0}
    if args.only in (None, "embedded"):
        bench("embedded (SQLite)", database_url="", redis_url="", **options)
    if args.only in (None, "scaled"):
        pg, _ = services_up()
        if pg:
            # One front end on PostgreSQL, its runner in-process: the lists read the database only.
            bench("PostgreSQL", database_url=pg, redis_url="", **options)
        else:
            print("\n## PostgreSQL: skipped, nothing answers on 127.0.0.1:5432")


if __name__ == "__main__":
    main()
