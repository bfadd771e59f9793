"""Driving runs with the real runner and the fake Ollama: fencing a runner that lost its run."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from accounts_app.services import user_get_or_create_owner
from sessions_app.models import Message, PlanningLog, Run, RunStatus, Session
from sessions_app.services.runs import UserMessage, message_submit, run_fail_if_stale
from sessions_app.services.sessions import session_create
from tests.fakes.fake_ollama import script

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def _wait_for(predicate, timeout: float = 20):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := await database_sync_to_async(predicate)()):
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return value


async def test_a_runner_failed_as_stale_that_then_resumes_writes_nothing_into_the_session(
    fake_ollama, runner, settings, caplog
):
    settings.NAVI_RUN_STALE_SECONDS = 1.5  # a heartbeat every half second
    caplog.set_level(logging.INFO, logger="agents_app.run_execution")
    user = await database_sync_to_async(user_get_or_create_owner)()
    session = await database_sync_to_async(session_create)(user=user, profile_id="secretary")
    words = " ".join(f"w{i}" for i in range(40))
    slow = UserMessage(content="slow " + script({"content": words, "delay": 0.1}))
    first = await database_sync_to_async(message_submit)(user=user, session_id=session.id, message=slow)
    await _wait_for(lambda: Run.objects.filter(id=first.id).exclude(partial_content="").exists())

    # The runner is slow, not dead: as far as the database knows it stopped checking in. A socket fails the run.
    def fail_as_stale() -> str:
        Run.objects.filter(id=first.id).update(heartbeat_at=timezone.now() - timedelta(hours=1))
        assert run_fail_if_stale(run=Run.objects.get(id=first.id))
        return Run.objects.get(id=first.id).partial_content

    kept = await database_sync_to_async(fail_as_stale)()
    second = await database_sync_to_async(message_submit)(
        user=user, session_id=session.id, message=UserMessage(content="next one")
    )
    await _wait_for(lambda: Run.objects.get(id=second.id).status == RunStatus.COMPLETED)
    # The old runner learns at its next write or heartbeat that the run is gone, and stops.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while "was taken from this runner" not in caplog.text:
        assert loop.time() < deadline, caplog.text
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # past what the first answer would have taken to finish streaming

    def stored():
        rows = Message.objects.filter(session_id=session.id).order_by("id")
        return (
            [(m.run_id, m.role, m.content) for m in rows],
            Run.objects.get(id=first.id),
            Session.objects.get(id=session.id),
        )

    rows, old_run, stored_session = await database_sync_to_async(stored)()
    assert rows == [
        (first.id, "user", slow.content),
        (first.id, "assistant", kept),  # the answer so far, kept by the failure
        (second.id, "user", "next one"),
        (second.id, "assistant", "Echo: next one"),
    ]
    assert 0 < len(kept) < len(words)
    assert (old_run.status, old_run.owner_token) == (RunStatus.FAILED, None)
    assert not await database_sync_to_async(PlanningLog.objects.filter(run_id=first.id).exists)()
    assert "Traceback" not in caplog.text and "IntegrityError" not in caplog.text
    assert stored_session.context_token_count > 0  # the second run's count, not one the old runner wrote later


async def test_a_claim_and_its_engine_input_take_one_trip_of_three_statements_and_ignore_the_availability_override():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agents_app.models import ProfileAvailability
    from agents_app.run_execution import begin
    from sessions_app.models import Role
    from sessions_app.services.messages import message_add

    def submitted():
        user = user_get_or_create_owner()
        session = session_create(user=user, profile_id="secretary")
        # Made admin-only after the session was made: the session keeps working (docs/admin.md).
        ProfileAvailability.objects.update_or_create(profile_id="secretary", defaults={"is_admin_only": True})
        # A submit's rows, without its run.start: no runner here takes it (nor one of a later test, on Redis).
        run = Run.objects.create(session=session)
        message_add(session_id=session.id, run=run, role=Role.USER, content="hi", touch=True)
        return run.id

    def claimed(run_id):
        with CaptureQueriesContext(connection) as queries:
            started = begin.func(run_id)  # begin's own work, on this thread (begin is its async form)
        return started, [q["sql"] for q in queries.captured_queries]  # read before the connection is let go

    (start, run_input), queries = await database_sync_to_async(claimed)(await database_sync_to_async(submitted)())
    # The claim (its session read with it), the context, the user's memory: no availability query.
    assert len(queries) == 3, queries
    assert run_input.agent.profile_id == "secretary" and run_input.session_id == str(start.session_id)
    assert [m.content for m in run_input.history] == ["hi"]
