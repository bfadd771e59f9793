"""A runner's claim of a run: one statement that takes it (queued -> running under a fresh owner token) and
reads its session, then the context; a run is claimed once, and a claim whose runner went quiet is failed and
fenced as every other."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sessions_app.models import Role, Run, RunStatus
from sessions_app.services import run_progress, runs
from sessions_app.services.run_progress import RunFenced

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_layer")]


def submit(owner, session, content="hello") -> Run:
    return runs.message_submit(user=owner, session_id=session.id, message=runs.UserMessage(content=content))


def test_a_queued_run_is_claimed_once_with_its_session_and_context_in_two_statements(owner, session):
    first = submit(owner, session, "first")
    run_progress.run_finish(
        run_id=first.id, owner_token=run_progress.run_begin(run_id=first.id).owner_token, status=RunStatus.COMPLETED
    )
    run = submit(owner, session, "what is on today?")
    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        start = run_progress.run_begin(run_id=run.id)
    assert len(queries.captured_queries) == 2  # the first-token path: the claim, then the context
    assert (start.run_id, start.session_id, start.user_id) == (run.id, session.id, owner.id)
    assert (start.profile_id, start.max_context_tokens, start.stop_requested) == ("secretary", None, False)
    assert [(m["role"], m["content"]) for m in start.context] == [
        (Role.USER, "first"),
        (Role.USER, "what is on today?"),
    ]
    run.refresh_from_db()
    assert (run.status, run.owner_token) == (RunStatus.RUNNING, start.owner_token)
    assert run.started_at == run.heartbeat_at and run.started_at >= before

    assert run_progress.run_begin(run_id=run.id) is None  # claimed once: a second runner gets nothing
    run.refresh_from_db()
    assert run.owner_token == start.owner_token


def test_a_claim_reads_the_stop_flag_and_a_run_that_is_not_queued_is_not_claimed(owner, session):
    run = submit(owner, session)
    Run.objects.filter(id=run.id).update(stop_requested=True)
    assert run_progress.run_begin(run_id=run.id).stop_requested is True

    assert runs.run_fail(run=run, reason="gone")
    failed = submit(owner, session)
    assert runs.run_fail(run=failed, reason="failed before a runner came")
    assert run_progress.run_begin(run_id=failed.id) is None
    assert Run.objects.get(id=failed.id).status == RunStatus.FAILED


def test_a_claimed_run_whose_runner_went_quiet_is_failed_and_its_runner_fenced(owner, session, settings):
    run = submit(owner, session)
    start = run_progress.run_begin(run_id=run.id)
    long_ago = timezone.now() - timedelta(seconds=settings.NAVI_RUN_STALE_SECONDS + 5)
    Run.objects.filter(id=run.id).update(heartbeat_at=long_ago)
    assert runs.run_fail_if_stale(run=Run.objects.get(id=run.id))
    with pytest.raises(RunFenced):
        run_progress.run_heartbeat(run_id=run.id, owner_token=start.owner_token, partial_content="late")
    with pytest.raises(RunFenced):
        run_progress.message_append(
            session_id=session.id, run_id=run.id, owner_token=start.owner_token, role=Role.ASSISTANT, content="late"
        )
