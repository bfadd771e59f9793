"""POST /sessions/{id}/messages in process, with the real runner and channel layer (in-memory, or Redis)."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connection
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext

from accounts_app.services import user_get_or_create_owner
from sessions_app.models import Run, RunStatus
from sessions_app.services.sessions import session_create
from tests.fakes.fake_ollama import script

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def new_session() -> str:
    return str(session_create(user=user_get_or_create_owner(), profile_id="secretary").id)


class SharedThreadQueries:
    """The queries made on asgiref's thread-sensitive thread, where the ORM of sync code and views runs."""

    def __init__(self) -> None:
        self.capture = CaptureQueriesContext(connection)

    async def __aenter__(self):
        await sync_to_async(self.capture.__enter__)()
        return self

    async def __aexit__(self, *exc):
        self.sql = await sync_to_async(lambda: [q["sql"] for q in self.capture.captured_queries])()
        await sync_to_async(self.capture.__exit__)(None, None, None)


def post(sid: str, content: str):
    return AsyncClient().post(f"/sessions/{sid}/messages", {"content": content}, content_type="application/json")


async def test_the_endpoint_waits_on_the_runs_events_instead_of_polling_the_database(fake_ollama, runner):
    sid = await new_session()
    words = " ".join(f"w{i}" for i in range(12))
    async with SharedThreadQueries() as queries:
        started = time.monotonic()
        response = await post(sid, "slow " + script({"content": words, "delay": 0.2}))
        seconds = time.monotonic() - started
    assert response.status_code == 200, response.content
    assert response.json() == {"role": "assistant", "content": words}
    assert seconds > 2.0  # the run took that long: a poller would have asked many times meanwhile
    # The run's row read by id alone is the endpoint's look at the outcome (the runner reads it joined to its
    # session): when the final event came, and perhaps once more on the slow recheck, instead of every 20-250 ms.
    outcome_reads = [
        q
        for q in queries.sql
        if q.startswith("SELECT") and 'FROM "sessions_app_run" WHERE' in q and '"owner_token" =' not in q
    ]  # the runner's own checks that it still holds the run (its owner token) are not the endpoint's
    assert len(outcome_reads) <= 2, "\n".join(outcome_reads)


async def test_a_run_that_fails_answers_500_with_its_reason(fake_ollama, runner):
    sid = await new_session()
    response = await post(sid, "x " + script({"http_status": 500, "error": "GPU on fire"}))
    assert response.status_code == 500
    assert "GPU on fire" in response.json()["detail"]


async def test_a_run_whose_runner_is_gone_is_answered_as_interrupted_not_left_to_time_out(fake_ollama, settings):
    # No runner at all: the run is never picked up, and the wait notices once it is stale.
    settings.NAVI_RUN_STALE_SECONDS = 1
    settings.NAVI_SYNC_RUN_TIMEOUT = 30
    sid = await new_session()
    started = time.monotonic()
    response = await post(sid, "anyone there?")
    assert response.status_code == 500
    assert "never picked up" in response.json()["detail"]
    assert time.monotonic() - started < 10
    statuses = await database_sync_to_async(lambda: list(Run.objects.values_list("status", flat=True)))()
    assert statuses == [RunStatus.FAILED]
