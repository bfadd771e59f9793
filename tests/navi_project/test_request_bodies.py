"""The ASGI side of large request bodies: 413 on a declared length past the limit, and a spooled body fed in chunks.

(Under daphne the whole path runs in tests/e2e/test_files_e2e.py.)
"""

from __future__ import annotations

import asyncio
import json
import tempfile

import pytest

from navi_project.request_bodies import (
    CHUNK,
    SCOPE_KEY,
    SMALL_BODY_LIMIT,
    FeedsBodyFromFile,
    body_limit,
    daphne_drift,
)


class Recorder:
    """An ASGI app that reads the whole body and answers 200."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.called = False

    async def __call__(self, scope, receive, send):
        self.called = True
        self.headers = dict(scope["headers"])
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


@pytest.mark.asyncio
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


@pytest.mark.asyncio
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


@pytest.mark.asyncio
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


@pytest.mark.asyncio
async def test_other_requests_pass_through_untouched():
    app = Recorder()

    async def receive():
        return {"type": "http.request", "body": b"small", "more_body": False}

    async def send(message):
        pass

    await FeedsBodyFromFile(app)(http_scope([(b"content-length", b"5")]), receive, send)
    assert app.bodies == [b"small"]


def chunked_messages(data: bytes, piece: int = 10_000) -> list[dict]:
    pieces = [data[i : i + piece] for i in range(0, len(data), piece)]
    return [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]


CHUNKED = [(b"content-type", b"multipart/form-data; boundary=x"), (b"transfer-encoding", b"chunked")]


@pytest.mark.asyncio
async def test_a_chunked_body_from_another_server_is_spooled_and_reaches_the_app_with_its_length(settings):
    data = bytes(range(256)) * 1000
    queue = chunked_messages(data)

    async def receive():
        return queue.pop(0)

    async def send(message):
        pass

    app = Recorder()
    await FeedsBodyFromFile(app)(http_scope(CHUNKED), receive, send)
    assert b"".join(app.bodies) == data
    assert app.headers[b"content-length"] == str(len(data)).encode()


@pytest.mark.asyncio
async def test_a_chunked_body_past_the_limit_is_answered_413_as_it_arrives(settings):
    settings.NAVI_MAX_UPLOAD_MB = 1
    sent, app = [], Recorder()
    queue = chunked_messages(b"x" * (body_limit() + 1), piece=64 * 1024)
    queue.append({"type": "http.request", "body": b"never read", "more_body": False})

    async def receive():
        return queue.pop(0)

    async def send(message):
        sent.append(message)

    await FeedsBodyFromFile(app)(http_scope(CHUNKED), receive, send)
    assert not app.called and sent[0]["status"] == 413
    assert len(queue) == 1  # stopped reading at the limit


@pytest.mark.asyncio
async def test_a_body_daphne_spooled_without_a_length_reaches_the_app_with_its_length():
    spooled = tempfile.TemporaryFile()
    spooled.write(b"z" * (CHUNK + 5))
    queue = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        return queue.pop(0)

    async def send(message):
        pass

    app = Recorder()
    await FeedsBodyFromFile(app)(http_scope(CHUNKED, extensions={SCOPE_KEY: spooled}), receive, send)
    assert app.headers[b"content-length"] == str(CHUNK + 5).encode()
    assert b"".join(app.bodies) == b"z" * (CHUNK + 5)


def test_the_installed_daphne_still_has_every_internal_the_upload_patch_relies_on():
    # When this fails after a daphne or Twisted upgrade, uploads are held in memory whole again: read
    # docs/files.md ("How a 200 MB upload stays out of memory") before changing the pins in requirements.txt.
    assert daphne_drift() == []
    from daphne.http_protocol import WebRequest

    import navi_project.asgi  # noqa: F401 - installs the patch

    assert WebRequest._navi_bodies is True
    assert WebRequest.gotLength.__module__ == WebRequest.handleContentChunk.__module__ == "navi_project.request_bodies"


@pytest.mark.asyncio
async def test_feeding_a_large_spooled_body_lets_the_event_loop_run_between_chunks():
    # Django's ASGI handler reads the body in a loop of `await receive()`: a receive() that never suspends
    # would hold the loop (every socket and the in-process runner) until the whole body is copied.
    spooled = tempfile.TemporaryFile()
    spooled.write(b"b" * (200 * CHUNK))  # 12.5 MB
    queue = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        return queue.pop(0)

    async def send(message):
        pass

    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    app = Recorder()
    await FeedsBodyFromFile(app)(http_scope(extensions={SCOPE_KEY: spooled}), receive, send)
    ticking.cancel()
    assert len(app.bodies) == 201
    assert ticks > 100, f"the loop ran {ticks} times while 200 chunks were fed"
