"""The list of calls waiting for approval, on both layers: this process's memory and a real Redis server."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest
import pytest_asyncio

from sessions_app.approvals import MemoryApprovalBook, RedisApprovalBook
from tests.e2e.servers import free_port

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A Redis server of this module's own (Debian's redis-server), so no other test's keys are in the way."""
    port = free_port()
    folder = tmp_path_factory.mktemp("approvals-redis")
    server = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":
        assert time.monotonic() < deadline and server.poll() is None, "redis-server did not start"
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


@pytest_asyncio.fixture(params=["memory", "redis"])
async def book(request):
    if request.param == "memory":
        yield MemoryApprovalBook()
    else:
        yield RedisApprovalBook(request.getfixturevalue("redis_url"))


async def test_an_open_call_is_claimed_once_and_tells_which_run_waits(book):
    await book.open("s1", "c1", "run-1", 30)
    assert await book.claim("s1", "c1", True) == "run-1"
    assert await book.claim("s1", "c1", True) is None


async def test_unknown_ids_and_another_sessions_ids_claim_nothing(book):
    await book.open("s1", "c1", "run-1", 30)
    assert await book.claim("s1", "nope", True) is None
    assert await book.claim("s2", "c1", True) is None
    assert await book.claim("s1", "c1", True) == "run-1"


async def test_a_closed_call_claims_nothing_and_closing_twice_is_harmless(book):
    await book.open("s1", "c1", "run-1", 30)
    await book.close("s1", "c1")
    await book.close("s1", "c1")
    assert await book.claim("s1", "c1", True) is None


async def test_a_mark_past_its_time_to_live_claims_nothing(book):
    await book.open("s1", "c1", "run-1", 0.2)
    await asyncio.sleep(0.4)
    assert await book.claim("s1", "c1", True) is None


async def test_calls_are_apart_and_racing_claims_have_one_winner(book):
    await book.open("s1", "c1", "run-1", 30)
    await book.open("s1", "c2", "run-2", 30)
    claims = await asyncio.gather(*(book.claim("s1", "c1", True) for _ in range(20)))
    assert claims.count("run-1") == 1 and claims.count(None) == 19
    assert await book.claim("s1", "c2", True) == "run-2"


async def test_an_answer_claimed_before_the_timeout_counts_when_the_wait_expires(book):
    await book.open("s1", "c1", "run-1", 30)
    assert await book.claim("s1", "c1", False) == "run-1"
    assert await book.expire("s1", "c1") is False
    assert await book.claim("s1", "c1", True) is None


async def test_once_the_wait_expired_an_answer_finds_nothing(book):
    await book.open("s1", "c1", "run-1", 30)
    assert await book.expire("s1", "c1") is None
    assert await book.claim("s1", "c1", True) is None
    assert await book.expire("s1", "nope") is None


async def test_an_answer_at_the_moment_of_the_timeout_either_wins_whole_or_loses_whole(book):
    seen = set()
    for round_ in range(40):
        call_id = f"c{round_}"
        await book.open("s1", call_id, "run-1", 30)
        claim, expire = book.claim("s1", call_id, True), book.expire("s1", call_id)
        if round_ % 2:
            expired, claimed = await asyncio.gather(expire, claim)
        else:
            claimed, expired = await asyncio.gather(claim, expire)
        # Either the answer was taken and the expiring run gets it, or the timeout won and the answer got nothing.
        assert (claimed, expired) in {("run-1", True), (None, None)}
        seen.add(claimed)
    assert seen == {"run-1", None}  # both orders happened
