"""The engine's approval port for one run, and the delivery of answers to the runs of this process.

An answer travels from any front end to the run's control group (`run.<id>`), which the runner of the run has
joined before the run starts; `approval_deliver` hands it to the waiting call. The waiting mark in the approval
book is set before the request is announced, so no answer can come before the run listens for it.
"""

from __future__ import annotations

import asyncio

from sessions_app.approvals import approval_book

_runs: dict[str, RunApprovals] = {}
# The mark outlives the wait a little, so a late answer is told "not waiting" only once the run gave up.
MARK_GRACE_SECONDS = 30


class RunApprovals:
    def __init__(self, *, session_id: str, run_id: str, timeout_seconds: float) -> None:
        self.session_id = session_id
        self.run_id = run_id
        self.timeout_seconds = timeout_seconds
        self._waiting: dict[str, asyncio.Future] = {}

    async def open(self, call_id: str) -> None:
        self._waiting[call_id] = asyncio.get_running_loop().create_future()
        await approval_book().open(self.session_id, call_id, self.run_id, self.timeout_seconds + MARK_GRACE_SECONDS)

    async def wait(self, call_id: str) -> bool:
        return await self._waiting[call_id]

    async def expire(self, call_id: str) -> bool | None:
        return await approval_book().expire(self.session_id, call_id)

    async def close(self, call_id: str) -> None:
        self._waiting.pop(call_id, None)
        await approval_book().close(self.session_id, call_id)

    def answer(self, call_id: str, approved: bool) -> bool:
        waiting = self._waiting.get(call_id)
        if waiting is None or waiting.done():
            return False
        waiting.set_result(approved)
        return True


def run_approvals_open(*, session_id: str, run_id: str, timeout_seconds: float) -> RunApprovals:
    approvals = _runs[run_id] = RunApprovals(session_id=session_id, run_id=run_id, timeout_seconds=timeout_seconds)
    return approvals


def run_approvals_close(run_id: str) -> None:
    _runs.pop(run_id, None)


def approval_deliver(*, run_id: str, call_id: str, approved: bool) -> bool:
    """Hand an answer to its waiting call; False when the run or the call waits no more (the answer is dropped)."""
    approvals = _runs.get(run_id)
    return approvals is not None and approvals.answer(call_id, approved)
