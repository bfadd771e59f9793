"""The ASGI side of large request bodies: 413 on a declared length past the limit, and a spooled body fed in chunks.

(Under daphne the whole path runs in tests/e2e/test_files_e2e.py.)
"""

from __future__ import annotations

import json
import tempfile

import pytest

from navi_project.request_bodies import CHUNK, SCOPE_KEY, SMALL_BODY_LIMIT, FeedsBodyFromFile, body_limit

pytestmark = pytest.mark.asyncio


class Recorder:
    """An ASGI app that reads the whole body and answers 200."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.called = False

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            self.bodies.append(message["body"])
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


UPLOAD_PATH = "/sessions/00000000-0000-0000-0000-000000000000/files"


def http_scope(headers=(), extensions=None, path: str = UPLOAD_PATH) -> dict:
    return {"type": "http", "method": "POST", "path": path, "headers": list(headers), "extensions": extensions or {}}


async def test_a_declared_length_past_the_limit_is_answered_413_without_calling_the_app(settings):
    settings.NAVI_MAX_UPLOAD_MB = 1
    app = Recorder()
    sent = []

    async def receive():
        raise AssertionError("the body must not be read")

    async def send(message):
        sent.append(message)

    length = str(body_limit() + 1).encode()
    await FeedsBodyFromFile(app)(http_scope([(b"content-length", length)]), receive, send)
    assert not app.called
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["detail"] == "The upload exceeds the 1 MB limit"


async def test_an_endpoint_that_takes_no_upload_refuses_a_body_past_its_small_limit(settings):
    settings.NAVI_MAX_UPLOAD_MB = 200
    app, sent = Recorder(), []

    async def receive():
        raise AssertionError("the body must not be read")

    async def send(message):
        sent.append(message)

    length = str(SMALL_BODY_LIMIT + 1).encode()
    await FeedsBodyFromFile(app)(http_scope([(b"content-length", length)], path="/sessions"), receive, send)
    assert not app.called and sent[0]["status"] == 413
    assert body_limit(b"/sessions/abc/messages") == body_limit(UPLOAD_PATH.encode()) > SMALL_BODY_LIMIT


async def test_a_body_spooled_to_a_file_is_fed_chunk_by_chunk_and_the_file_closed(settings):
    data = bytes(range(256)) * (CHUNK * 3 // 256) + b"tail"
    spooled = tempfile.TemporaryFile()
    spooled.write(data)
    queue = [{"type": "http.request", "body": b"", "more_body": False}]  # what daphne queues instead

    async def receive():
        return queue.pop(0)

    async def send(message):
        pass

    app = Recorder()
    await FeedsBodyFromFile(app)(http_scope(extensions={SCOPE_KEY: spooled}), receive, send)
    assert b"".join(app.bodies) == data
    assert [len(b) for b in app.bodies] == [CHUNK, CHUNK, CHUNK, 4]
    assert spooled.closed


async def test_other_requests_pass_through_untouched():
    app = Recorder()

    async def receive():
        return {"type": "http.request", "body": b"small", "more_body": False}

    async def send(message):
        pass

    await FeedsBodyFromFile(app)(http_scope([(b"content-length", b"5")]), receive, send)
    assert app.bodies == [b"small"]
