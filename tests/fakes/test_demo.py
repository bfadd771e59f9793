"""`make demo` (tests/fakes/demo.py): it serves Navi against the fake Ollama, and stops whole on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.e2e.servers import ROOT, free_port


def demo_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS", "REDIS_URL"))}
    env.update(NAVI_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    env.update(NAVI_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    return env


def wait_for_health(base: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the demo ended by itself"
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the demo did not answer at {base}")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_group_gone(pgid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_alive(pgid):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    "how",
    [
        "module",  # python -m tests.fakes.demo
        "make",  # make demo (its install step skipped: the venv is there)
    ],
)
def test_sigterm_stops_the_demo_and_its_server(tmp_path, how):
    port = free_port()
    if how == "make":
        command = ["make", "-o", "venv", "-o", ".venv/.installed", "demo", f"PORT={port}", f"PY={sys.executable}"]
    else:
        command = [sys.executable, "-m", "tests.fakes.demo", "--port", str(port)]
    log = (tmp_path / "demo.log").open("wb")
    if how == "module":
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=demo_env(tmp_path), check=True)
    demo = subprocess.Popen(command, cwd=ROOT, env=demo_env(tmp_path), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_health(base, demo)
        demo.send_signal(signal.SIGTERM)  # to the top process only, as `kill PID` does
        demo.wait(20)
        assert wait_group_gone(demo.pid), "a process of the demo is still running after SIGTERM"
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/health", timeout=2)
    finally:
        if group_alive(demo.pid):
            os.killpg(demo.pid, signal.SIGKILL)
