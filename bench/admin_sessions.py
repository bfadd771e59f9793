"""`python -m bench.admin_sessions [--sessions 10000] [--requests 300]`: GET /admin/sessions latency.

Starts Navi (one daphne on SQLite; and, when PostgreSQL and Redis answer on their usual ports, two daphnes on
PostgreSQL), puts --sessions sessions of 20 users in its database (every 4th with 2 messages; ties in every sort
field), and times --requests sequential requests over one keep-alive connection, as the web frontend or a
script would make them: the first page with the defaults, then other sorts, a search, and a deep page. Prints
p50 and p95 of each (target: p50 <= 25 ms for the defaults), and beside them what the cheapest requests cost on
the same machine (/health, and /auth/me: one small query), which no admin endpoint can beat.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.run import services_up
from tests.admin_app.seeding import seed
from tests.e2e.servers import start_servers

TARGET_MS = 25.0
FLOOR = ("/health", "/auth/me")
QUERIES = {
    "defaults (last_active desc, 50)": {},
    "sort_by=name asc": {"sort_by": "name", "sort_order": "asc"},
    "sort_by=user_id, limit=500": {"sort_by": "user_id", "limit": 500},
    "search=alpha": {"search": "alpha"},
    "offset=9950": {"offset": 9950},
}


def _timed(client: httpx.Client, params: dict, requests: int, path: str = "/admin/sessions") -> list[float]:
    for _ in range(10):  # warm: connections, caches, the query planner
        client.get(path, params=params).raise_for_status()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, params=params)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def bench(name: str, sessions: int, requests: int, **urls) -> None:
    with tempfile.TemporaryDirectory(prefix="navi-bench-admin-") as tmp:
        servers = start_servers(Path(tmp), ollama_url="http://127.0.0.1:9", **urls)
        try:
            started = time.perf_counter()
            seed(servers, action="sessions", tag="bench", sessions=sessions, users=20)
            print(f"\n## {name}: {sessions:,} sessions written in {time.perf_counter() - started:.1f} s")
            with httpx.Client(base_url=servers.url, timeout=30) as client:
                total = client.get("/admin/sessions").json()["total"]
                assert total == sessions, total
                # What any request costs on this machine, for comparison: no database, and one small query.
                floor = {path: statistics.median(_timed(client, {}, requests, path)) for path in FLOOR}
                print("floor: " + ", ".join(f"GET {path} p50 {ms:.1f} ms" for path, ms in floor.items()))
                for label, params in QUERIES.items():
                    samples = _timed(client, params, requests)
                    p50 = statistics.median(samples)
                    p95 = statistics.quantiles(samples, n=20)[-1]
                    verdict = f" (target <= {TARGET_MS:.0f} ms: {'met' if p50 <= TARGET_MS else 'MISSED'})"
                    print(
                        f"GET /admin/sessions {label:<32} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
                        + (verdict if not params else "")
                    )
        finally:
            servers.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per query")
    parser.add_argument("--only", choices=["embedded", "scaled"])
    args = parser.parse_args()
    if args.only in (None, "embedded"):
        bench("embedded (SQLite)", args.sessions, args.requests, database_url="", redis_url="")
    pg, redis = services_up()
    if args.only in (None, "scaled"):
        if pg and redis:
            bench("scaled (PostgreSQL + Redis)", args.sessions, args.requests, database_url=pg, redis_url=redis)
        else:
            print("\n## scaled: skipped, PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 must both answer")


if __name__ == "__main__":
    main()
