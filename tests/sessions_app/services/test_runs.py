"""A run's life in the database: submitted with its user message, one at a time per session, stopped, failed
(its partial answer kept, its clients told once it commits), and checked by a socket that has heard nothing."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts_app.services import UserClaims, user_sync_from_login
from navi_project.errors import ApplicationError
from sessions_app.models import Message, Role, Run, RunStatus
from sessions_app.runlog import run_log
from sessions_app.services import runs
from sessions_app.services.dispatch import RUNNER_CHANNEL
from sessions_app.services.sessions import session_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_layer")]


def submit(owner, session, content="hello") -> Run:
    return runs.message_submit(user=owner, session_id=session.id, message=runs.UserMessage(content=content))


def runner_messages_for(run_id) -> list[dict]:
    """What reached the runner channel for this run (other runs' leftovers on a shared Redis are skipped)."""
    layer, found = get_channel_layer(), []

    async def drain():
        import asyncio

        while True:
            try:
                message = await asyncio.wait_for(layer.receive(RUNNER_CHANNEL), 0.5)
            except TimeoutError:
                return
            if message.get("run_id") == str(run_id):
                found.append(message)

    async_to_sync(drain)()
    return found


def test_a_submit_stores_the_message_and_a_queued_run_and_wakes_a_runner_once_it_commits(
    owner, session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        run = submit(owner, session, "what is on today?")
    assert run.status == RunStatus.QUEUED
    assert list(Message.objects.filter(run=run).values_list("role", "content")) == [(Role.USER, "what is on today?")]
    assert len(pending) == 1  # nothing sent before the commit
    pending[0]()
    assert runner_messages_for(run.id) == [{"type": "run.start", "run_id": str(run.id)}]


def test_a_second_message_while_a_run_is_active_is_a_409_and_stores_nothing(owner, session):
    submit(owner, session)
    with pytest.raises(ApplicationError) as refused:
        submit(owner, session, "and another thing")
    assert refused.value.status == 409
    assert Message.objects.filter(session=session).count() == 1 and Run.objects.filter(session=session).count() == 1


def test_a_run_whose_runner_went_quiet_is_failed_so_the_next_message_starts_a_new_one(owner, session, settings):
    stale = submit(owner, session)
    long_ago = timezone.now() - timedelta(seconds=settings.NAVI_RUN_STALE_SECONDS + 5)
    Run.objects.filter(id=stale.id).update(status=RunStatus.RUNNING, heartbeat_at=long_ago, partial_content="Half")
    fresh = submit(owner, session, "again")
    stale.refresh_from_db()
    assert (stale.status, fresh.status) == (RunStatus.FAILED, RunStatus.QUEUED)
    assert "lost its runner" in stale.error
    assert Message.objects.filter(run=stale, role=Role.ASSISTANT).get().content == "Half"


def test_stop_flags_the_active_run_and_says_when_there_is_none(owner, session):
    assert runs.run_request_stop(user=owner, session_id=session.id) is False
    run = submit(owner, session)
    assert runs.run_request_stop(user=owner, session_id=session.id) is True
    run.refresh_from_db()
    assert run.stop_requested is True


def test_stop_on_another_users_session_is_a_404(owner, session):
    stranger = user_sync_from_login(claims=UserClaims(sub="stranger"))
    submit(owner, session)
    with pytest.raises(ApplicationError) as refused:
        runs.run_request_stop(user=stranger, session_id=session.id)
    assert refused.value.status == 404
    assert Run.objects.get(session=session).stop_requested is False


def test_failing_a_run_keeps_its_answer_so_far_fences_its_runner_and_tells_clients_once(
    owner, session, django_capture_on_commit_callbacks
):
    run = submit(owner, session)
    Run.objects.filter(id=run.id).update(status=RunStatus.RUNNING, owner_token=uuid.uuid4(), partial_content="So far")
    with django_capture_on_commit_callbacks(execute=True):
        assert runs.run_fail(run=run, reason="Ollama went away") is True
    assert runs.run_fail(run=run, reason="again") is False
    run.refresh_from_db()
    assert (run.status, run.error, run.owner_token) == (RunStatus.FAILED, "Ollama went away", None)
    assert Message.objects.get(run=run, role=Role.ASSISTANT).content == "So far"
    entries = async_to_sync(run_log().read)(str(run.id))
    assert [(json.loads(e.text), e.final) for e in entries] == [
        ({"type": "error", "message": "Ollama went away"}, True)
    ]


def test_at_start_every_active_run_of_an_earlier_process_is_failed(owner):
    sessions = [session_create(user=owner, profile_id="secretary") for _ in range(3)]
    active = [submit(owner, s) for s in sessions[:2]]
    done = submit(owner, sessions[2])
    Run.objects.filter(id=done.id).update(status=RunStatus.COMPLETED)
    assert runs.run_fail_orphans() == 2
    assert {r.status for r in Run.objects.filter(id__in=[r.id for r in active])} == {RunStatus.FAILED}
    assert Run.objects.get(id=done.id).status == RunStatus.COMPLETED


def test_a_quiet_runs_check_says_still_going_ended_or_deleted(owner, session):
    run = submit(owner, session)
    Run.objects.filter(id=run.id).update(status=RunStatus.RUNNING, heartbeat_at=timezone.now())
    assert runs.run_check(run_id=run.id) == runs.RunCheck(None)
    Message.objects.create(session=session, run=run, role=Role.ASSISTANT, content="All done", token_count=3)
    Run.objects.filter(id=run.id).update(status=RunStatus.COMPLETED)
    ended = runs.run_check(run_id=run.id).terminal
    assert (ended["type"], ended["content"], ended["token_count"]) == ("stream_end", "All done", 3)
    session.delete()
    assert runs.run_check(run_id=run.id).terminal == {"type": "error", "message": runs.SESSION_DELETED}


def test_a_run_closed_moments_ago_is_left_to_its_runner_to_tell(owner, session):
    # Its runner publishes the end (and a context_compressed after it) right after the close: no repair yet.
    run = submit(owner, session)
    Message.objects.create(session=session, run=run, role=Role.ASSISTANT, content="All done")
    Run.objects.filter(id=run.id).update(status=RunStatus.COMPLETED, finished_at=timezone.now())
    check = runs.run_check(run_id=run.id)
    assert check.terminal is None and 0 < check.look_again_in <= runs.END_TELLING_GRACE.total_seconds()
    Run.objects.filter(id=run.id).update(finished_at=timezone.now() - runs.END_TELLING_GRACE)
    assert runs.run_check(run_id=run.id) == runs.RunCheck(runs.run_terminal_event(run_id=run.id))
    assert runs.run_check(run_id=run.id).terminal["content"] == "All done"


def test_a_submit_counts_the_message_and_marks_the_session_active_in_one_update_of_its_row(owner, session):
    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        submit(owner, session, content="What is on today?")
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "sessions_app_session"')]
    assert len(updates) == 1  # the first-token path: every statement of the submit counts
    session.refresh_from_db()
    assert (session.message_count, session.preview) == (1, "What is on today?")
    assert session.last_active >= before and session.updated_at >= before


def test_a_submit_reads_the_active_run_with_the_session_lock_and_reads_a_run_only_when_there_is_one(
    owner, session, settings
):
    with CaptureQueriesContext(connection) as queries:
        submit(owner, session)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 1 and '"sessions_app_run"' in reads[0]  # the lock's statement reads the active run too

    stale = Run.objects.get(session=session)
    long_ago = timezone.now() - timedelta(seconds=settings.NAVI_RUN_STALE_SECONDS + 5)
    Run.objects.filter(id=stale.id).update(created_at=long_ago)
    fresh = submit(owner, session, "again")  # the active run, read once the lock named it, was stale: failed
    assert Run.objects.get(id=stale.id).status == RunStatus.FAILED and fresh.status == RunStatus.QUEUED
