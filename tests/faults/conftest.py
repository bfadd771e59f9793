"""Fault-suite fixtures: servers with short heartbeats and stale windows, and a fake Ollama that can be killed.

Each test gets servers of its own (a fault leaves them in no state to share): two front ends and two workers
when the suite runs with PostgreSQL + Redis, one server with its runner in-process otherwise.
"""

from __future__ import annotations

import pytest

from tests.e2e.servers import start_servers
from tests.e2e.services import FakeOllamaProcess

# A heartbeat a second and runs taken for dead after 4 s without one: faults are found in seconds, not the
# production half-minute, and a loaded machine still has three heartbeats' margin.
FAULT_TIMINGS = {"NAVI_HEARTBEAT_SECONDS": "1", "NAVI_RUN_STALE_SECONDS": "4"}


@pytest.fixture(scope="module")
def fake_process(tmp_path_factory):
    fake = FakeOllamaProcess(tmp_path_factory.mktemp("fake-ollama"))
    fake.start()
    yield fake
    fake.kill()


@pytest.fixture
def fault_servers(fake_process, tmp_path):
    """Start servers for one test: `fault_servers(**start_servers_arguments)`; all are stopped at its end."""
    started = []

    def start(**kwargs):
        env = {**FAULT_TIMINGS, **kwargs.pop("extra_env", {})}
        servers = start_servers(tmp_path / f"navi{len(started)}", ollama_url=fake_process.url, extra_env=env, **kwargs)
        started.append(servers)
        return servers

    yield start
    for servers in started:
        servers.stop()
