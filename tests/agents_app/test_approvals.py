"""The runner's approval port on the approval book of this setup (memory, or Redis with REDIS_URL): an answer
and the timeout meeting at the same moment have one outcome, whichever wins the book's atomic step."""

from __future__ import annotations

import uuid

import pytest

from agents_app.approvals import run_approvals_close, run_approvals_open
from agents_app.engine import StopSignal
from agents_app.engine.approval import Decision, ask_approval
from agents_app.engine.messages import ToolCall
from sessions_app.approvals import approval_book

pytestmark = pytest.mark.asyncio


async def decide(approvals, on_request) -> Decision:
    call = ToolCall(id="call_0", name="todo", arguments={})
    async for item in ask_approval(call, {}, approvals, StopSignal(), is_subagent=False):
        if isinstance(item, Decision):
            return item
        await on_request(item.event["call_id"])
    raise AssertionError("no decision")


@pytest.fixture
def approvals():
    session_id, run_id = uuid.uuid4().hex, uuid.uuid4().hex
    approvals = run_approvals_open(session_id=session_id, run_id=run_id, timeout_seconds=0.3)
    yield approvals
    run_approvals_close(run_id)


async def test_an_answer_claimed_but_not_yet_delivered_when_the_wait_times_out_is_the_outcome(approvals):
    async def claim_only(call_id):
        assert await approval_book().claim(approvals.session_id, call_id, True) == approvals.run_id

    assert await decide(approvals, claim_only) == Decision(True)


async def test_after_the_timeout_won_an_answer_finds_no_waiting_call(approvals):
    asked = []

    async def note(call_id):
        asked.append(call_id)

    decision = await decide(approvals, note)
    assert decision.approved is False and "not approved within 0.3 s" in decision.reason
    assert await approval_book().claim(approvals.session_id, asked[0], True) is None
