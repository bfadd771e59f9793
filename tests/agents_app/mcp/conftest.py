"""Real MCP servers no one here wrote: `mcp-server-time` from PyPI (stdio) and an SDK-built HTTP server."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import free_port

HERE = Path(__file__).parent
TIME_SERVER = str(Path(sys.executable).with_name("mcp-server-time"))
# What the notes server's `picture` tool returns (notes_server.PIXEL, a 1x1 PNG), base64.
PICTURE_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@dataclass
class NotesServer:
    url: str
    marks: Path
    process: subprocess.Popen


def time_server_entry() -> dict:
    return {"command": TIME_SERVER, "args": ["--local-timezone", "Europe/Paris"]}


@pytest.fixture(scope="session")
def notes_server(tmp_path_factory):
    marks = tmp_path_factory.mktemp("notes-marks")
    port = free_port()
    log = (marks / "server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, str(HERE / "notes_server.py"), str(port), str(marks)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(
                    "the notes MCP server did not start: " + (marks / "server.log").read_text()
                ) from None
            time.sleep(0.1)
    yield NotesServer(url=url, marks=marks, process=process)
    process.terminate()
    process.wait(10)


def children_running(parent_pid: int, needle: str) -> list[int]:
    """Pids of `parent_pid`'s child processes whose command line holds `needle`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == parent_pid and needle in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def wait_for(predicate, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.05)
    return value
