"""Shared fixtures: the fake Ollama, real Navi server processes, and an agent runner inside the test's loop."""

from __future__ import annotations

import asyncio
import os

import pytest
import pytest_asyncio

from tests.e2e.servers import start_servers
from tests.fakes.fake_ollama import FakeOllama

USING_SERVICES = bool(os.environ.get("REDIS_URL"))


@pytest.fixture(scope="session", autouse=True)
def _close_database_thread_connections(django_db_setup, django_db_blocker):
    """Async tests reach the database from worker threads whose connections outlive them; end those before
    the test database is dropped (PostgreSQL refuses to drop a database in use)."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def _database_calls_keep_the_test_transaction(monkeypatch):
    """Channels' database_sync_to_async closes the thread's connections before and after each call; in a test
    that runs inside one transaction (the `db` fixture), on the test's own thread, that would close the test's
    connection and end its transaction. Django's test client spares that connection the same way for requests.
    Connections outside a transaction are closed as in production."""
    from channels import db as channels_db
    from django.db import connections

    def close_outside_transactions(**_):
        for conn in connections.all(initialized_only=True):
            if not conn.in_atomic_block:
                conn.close_if_unusable_or_obsolete()

    monkeypatch.setattr(channels_db, "close_old_connections", close_outside_transactions)


@pytest.fixture
def storage_root(settings, tmp_path):
    """Session files on local disk in a folder of this test's own."""
    root = tmp_path / "session_files"
    settings.STORAGES = {
        **settings.STORAGES,
        "session_files": {
            "BACKEND": "sessions_app.file_storage.LocalSessionStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server process of this test's own, to restart or break without touching anything else."""
    from tests.redis_process import RedisProcess

    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def fake_ollama_server():
    fake = FakeOllama()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_ollama(fake_ollama_server, settings):
    """The fake Ollama, emptied of rules and recorded requests, with Django pointed at it."""
    fake_ollama_server.reset()
    settings.OLLAMA_HOST = fake_ollama_server.url
    from agents_app import ollama
    from agents_app.profile_warnings import reset_profile_warnings

    ollama._default = None
    reset_profile_warnings()
    yield fake_ollama_server
    ollama._default = None
    reset_profile_warnings()


@pytest.fixture(scope="session")
def navi(fake_ollama_server, tmp_path_factory):
    """Real server processes (two front ends and two workers when Redis is configured)."""
    servers = start_servers(tmp_path_factory.mktemp("navi"), ollama_url=fake_ollama_server.url)
    yield servers
    servers.stop()


@pytest.fixture
def live(navi, fake_ollama_server):
    fake_ollama_server.reset()
    yield navi


@pytest_asyncio.fixture
async def runner():
    """The agent runner worker, on this test's event loop and channel layer (in-memory or Redis)."""
    from channels.layers import channel_layers, get_channel_layer
    from channels.routing import ChannelNameRouter
    from channels.worker import Worker

    from agents_app.runner import AgentRunnerConsumer

    channel_layers.backends.clear()  # layers hold loop-bound state; start each test with fresh ones
    app = ChannelNameRouter({"agent-runner": AgentRunnerConsumer.as_asgi()})
    worker = Worker(application=app, channels=["agent-runner"], channel_layer=get_channel_layer())
    task = asyncio.create_task(worker.arun())
    yield worker
    task.cancel()
    for details in list(worker.application_instances.values()):
        details["future"].cancel()
    await asyncio.gather(task, return_exceptions=True)
    channel_layers.backends.clear()


@pytest.fixture(scope="session")
def oauth_server(tmp_path_factory):
    """A real authorization server process (django-oauth-toolkit), its client registered for `oauth_navi`."""
    from tests.e2e.servers import free_port
    from tests.oauth_server.process import OAuthServer

    server = OAuthServer(tmp_path_factory.mktemp("oauth-server"))
    server.navi_port = free_port()
    server.start(redirect_uris=[f"http://127.0.0.1:{server.navi_port}/auth/callback"])
    yield server
    server.stop()


WEBHOOK_SECRET = "webhook-secret-for-tests"


@pytest.fixture(scope="session")
def oauth_navi(fake_ollama_server, oauth_server, tmp_path_factory):
    """Navi in `oauth` mode against the real authorization server (two front ends and workers with Redis)."""
    base = f"http://127.0.0.1:{oauth_server.navi_port}"
    servers = start_servers(
        tmp_path_factory.mktemp("oauth-navi"),
        ollama_url=fake_ollama_server.url,
        port=oauth_server.navi_port,
        extra_env={
            "NAVI_AUTH_MODE": "oauth",
            "NAVI_PUBLIC_URL": base,
            "GNEXUS_AUTH_URL": oauth_server.url,
            "GNEXUS_AUTH_CLIENT_ID": oauth_server.client_id,
            "GNEXUS_AUTH_CLIENT_SECRET": oauth_server.client_secret,
            "GNEXUS_AUTH_WEBHOOK_SECRET": WEBHOOK_SECRET,
        },
    )
    servers.oauth = oauth_server
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 server process (moto in server mode) on a free port."""
    from tests.s3_server import MotoServer

    server = MotoServer(tmp_path_factory.mktemp("s3")).start()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, settings):
    """Session files in a fresh bucket of the S3 server, through django-storages (as NAVI_STORAGE=s3 sets up)."""
    from tests.s3_server import S3Bucket

    return S3Bucket(s3_server, settings).create()
