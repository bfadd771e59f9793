"""Real Navi server processes for end-to-end tests.

Embedded defaults: one daphne process running its agent runner in-process, on a SQLite file.
With REDIS_URL and a PostgreSQL DATABASE_URL set: two daphne front ends and two `runworker agent-runner`
processes on a fresh PostgreSQL database, all meeting through Redis.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_database(base_url: str, name: str) -> str:
    """A fresh, empty database beside the one DATABASE_URL names."""
    import psycopg

    prefix, _, _ = base_url.rpartition("/")
    with psycopg.connect(f"{prefix}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{prefix}/{name}"


def _drop_postgres_database(url: str) -> None:
    import psycopg

    prefix, _, name = url.rpartition("/")
    with psycopg.connect(f"{prefix}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Redis database numbers that a set of servers holds now. Each set gets one of its own, released at stop():
# workers of two sets on one database would take each other's `run.start` messages (a run sent to servers of
# one database started by workers of another, which never find it), and the in-test runner keeps the base one.
_redis_dbs_held: set[int] = set()


def _lease_redis_db(url: str) -> tuple[str, int]:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    free = [db for db in range(16) if db != base and db not in _redis_dbs_held]
    if not free:
        raise RuntimeError("every Redis database is held by a running set of test servers")
    _redis_dbs_held.add(free[0])
    return urlunsplit(parts._replace(path=f"/{free[0]}")), free[0]


@dataclass
class NaviServers:
    workdir: Path
    env: dict
    front_ends: list[str] = field(default_factory=list)  # base URLs
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)  # what started each process, for restart()
    logs: list[Path] = field(default_factory=list)
    # Databases and services started for these servers alone, ended by stop() (callables).
    cleanups: list = field(default_factory=list)

    @property
    def uses_workers(self) -> bool:
        return bool(self.env.get("REDIS_URL")) and self.env.get("NAVI_RUNNER") != "inprocess"

    @property
    def url(self) -> str:
        return self.front_ends[0]

    def other_url(self) -> str:
        """A second front end where there is one."""
        return self.front_ends[-1]

    def ws_url(self, base: str, session_id: str) -> str:
        return base.replace("http://", "ws://") + f"/ws/sessions/{session_id}"

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        self.logs.append(log)
        proc = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = proc
        self.commands[name] = args
        return proc

    def start_front_end(self, name: str, port: int | None = None) -> str:
        port = port or free_port()
        self._spawn(
            name, [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "navi_project.asgi:application"]
        )
        base = f"http://127.0.0.1:{port}"
        self.front_ends.append(base)
        return base

    def start_worker(self, name: str) -> subprocess.Popen:
        return self._spawn(name, [sys.executable, "manage.py", "runworker", "agent-runner"])

    def kill(self, name: str) -> None:
        proc = self.processes.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def restart(self, name: str) -> subprocess.Popen:
        """Start a killed (or running) process again with the same command, a front end on the same port."""
        if name in self.processes:
            self.kill(name)
        proc = self._spawn(name, self.commands[name])
        self.wait_ready()
        return proc

    def workers(self) -> dict[str, subprocess.Popen]:
        return {name: proc for name, proc in self.processes.items() if name.startswith("worker")}

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for base in self.front_ends:
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Navi at {base} did not start:\n{self.tail_logs()}")
                time.sleep(0.1)

    def tail_logs(self, lines: int = 40) -> str:
        out = []
        for log in self.logs:
            if log.exists():
                out.append(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(out)

    def stop(self) -> None:
        for name in list(self.processes):
            proc = self.processes.pop(name)
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
        if self.env.get("DATABASE_URL", "").startswith("postgres"):
            _drop_postgres_database(self.env["DATABASE_URL"])
        for cleanup in reversed(self.cleanups):
            cleanup()


def start_servers(
    workdir: Path,
    *,
    ollama_url: str,
    extra_env: dict | None = None,
    database_url: str | None = None,
    redis_url: str | None = None,
    port: int | None = None,
    workers: bool | None = None,
) -> NaviServers:
    """Migrate a fresh database and start the servers. URLs default to DATABASE_URL / REDIS_URL of this process;
    `port` is the first front end's (for a NAVI_PUBLIC_URL known before it starts). `workers` (default: whenever
    there is Redis) chooses two front ends and two `runworker` processes over one server running its runner
    in-process (which, given Redis, keeps its channel layer and run log there)."""
    profiles = workdir / "profiles"
    profiles.mkdir(parents=True)
    for source in [*(ROOT / "profiles").glob("*.yaml"), *(ROOT / "tests" / "profiles").glob("*.yaml")]:
        shutil.copy(source, profiles / source.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update(
        NAVI_DATA_DIR=str(workdir / "data"),
        NAVI_PROFILES_DIR=str(profiles),
        OLLAMA_HOST=ollama_url,
        NAVI_HEARTBEAT_SECONDS="1",
        NAVI_RUN_STALE_SECONDS="6",
        NAVI_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("REDIS_URL", None)
    redis_url = redis_url if redis_url is not None else os.environ.get("REDIS_URL", "")
    if redis_url:
        env["REDIS_URL"] = redis_url
    database_url = database_url if database_url is not None else os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        # Named after the process and the folder's full path: two folders of one name (a session's `navi0` and a
        # test's own `navi0`) must never share, or stopping one drops the other's database.
        name = f"navi_e2e_{os.getpid()}_{hashlib.sha1(str(workdir).encode()).hexdigest()[:12]}"
        env["DATABASE_URL"] = _postgres_database(database_url, name)
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'navi.sqlite3'}"
    if env.get("REDIS_URL"):
        env["REDIS_URL"], redis_db = _lease_redis_db(env["REDIS_URL"])
    if workers is None:
        workers = bool(env.get("REDIS_URL"))
    if env.get("REDIS_URL") and not workers:
        env["NAVI_RUNNER"] = "inprocess"
    env.update(extra_env or {})
    servers = NaviServers(workdir=workdir, env=env)
    if env.get("REDIS_URL"):
        servers.cleanups.append(lambda: _redis_dbs_held.discard(redis_db))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    servers.start_front_end("front-1", port)
    if workers:
        servers.start_front_end("front-2")
        servers.start_worker("worker-1")
        servers.start_worker("worker-2")
    servers.wait_ready()
    return servers
