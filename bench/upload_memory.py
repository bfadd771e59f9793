"""`python -m bench.upload_memory [--mb 200]`: a daphne front end's memory while one large upload streams.

Starts two daphne processes on a fresh SQLite database: Navi as shipped, and Navi with the request-body handling
of `navi_project/request_bodies.py` left out (daphne's own behaviour). Uploads a file of --mb megabytes to each
(a multipart body generated as it is sent) and prints each server's RSS before, its peak (VmHWM) after, and the
time taken.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.e2e.servers import ROOT, free_port
from tests.e2e.test_files_e2e import MB, Multipart, memory_kb

_WITHOUT_PATCH = (
    "import sys\n"
    "import navi_project.request_bodies as bodies\n"
    "bodies.install = lambda: None\n"
    "from daphne.cli import CommandLineInterface\n"
    "sys.argv = ['daphne', '-b', '127.0.0.1', '-p', sys.argv[1], 'navi_project.asgi:application']\n"
    "CommandLineInterface.entrypoint()\n"
)


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} did not start")


def measure(name: str, args: list[str], port: int, env: dict, workdir: Path, size: int) -> None:
    proc = _start(args, env, workdir / f"{name}.log")
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        sid = httpx.post(f"{base}/sessions", json={"profile_id": "secretary"}).json()["session_id"]
        body = Multipart("upload.txt", size)
        before = memory_kb(proc.pid)
        started = time.monotonic()
        answer = httpx.post(
            f"{base}/sessions/{sid}/files",
            content=body.chunks(),
            headers=body.headers(declare_length=True),
            timeout=600,
        )
        seconds = time.monotonic() - started
        after = memory_kb(proc.pid)
        print(
            f"{name:>22}: HTTP {answer.status_code} in {seconds:5.1f} s; RSS before {before['VmRSS'] // 1024:5d} MB, "
            f"peak after {after['VmHWM'] // 1024:5d} MB (+{(after['VmHWM'] - before['VmRSS']) // 1024} MB)"
        )
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="upload size in MB (at most NAVI_MAX_UPLOAD_MB)")
    size = parser.parse_args().mb * MB
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        limit = str(max(200, size // MB))
        env.update(NAVI_DATA_DIR=str(workdir / "data"), NAVI_LOG_LEVEL="WARNING", NAVI_MAX_UPLOAD_MB=limit)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        port = free_port()
        shipped = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "navi_project.asgi:application"]
        measure("Navi", shipped, port, env, workdir, size)
        port = free_port()
        measure("daphne's own handling", [sys.executable, "-c", _WITHOUT_PATCH, str(port)], port, env, workdir, size)


if __name__ == "__main__":
    main()
