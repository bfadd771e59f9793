"""The send window on a real Twisted request and channel (over Twisted's StringTransport): a paced send() waits
while Twisted has paused the response, and goes on when it resumes. (Under daphne, with a slow client, in
tests/e2e/test_file_streaming_e2e.py.)"""

from __future__ import annotations

import asyncio

import pytest
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import StringTransport
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted.web import http

from navi_project.response_flow import SendWindow, paced

pytestmark = pytest.mark.asyncio


def twisted_request() -> http.Request:
    channel = http.HTTPChannel()
    channel.makeConnection(StringTransport())
    request = http.Request(channel)
    channel.requests.append(request)
    return request


@pytest.fixture
def twisted_failures():
    failures = []

    def observe(event):
        if "log_failure" in event:
            failures.append(event["log_failure"])

    globalLogPublisher.addObserver(observe)
    yield failures
    globalLogPublisher.removeObserver(observe)


async def test_a_paced_send_waits_while_the_response_is_paused_and_unregisters_at_the_end(twisted_failures):
    request = twisted_request()
    window = SendWindow(request)
    sent = []

    async def send(message):  # as daphne's handle_reply does
        sent.append(message["body"])
        request.write(message["body"])
        if not message["more_body"]:
            request.finish()

    send_paced = paced(send, window)
    await send_paced({"type": "http.response.body", "body": b"one", "more_body": True})
    assert request.producer is window
    request.channel.pauseProducing()  # what the transport does when its write buffer is full
    second = asyncio.ensure_future(send_paced({"type": "http.response.body", "body": b"two", "more_body": True}))
    await asyncio.sleep(0.05)
    assert not second.done() and sent == [b"one"]
    request.channel.resumeProducing()
    await asyncio.wait_for(second, 1)
    await send_paced({"type": "http.response.body", "body": b"end", "more_body": False})
    assert sent == [b"one", b"two", b"end"]
    assert request.producer is None and request.finished
    assert twisted_failures == []  # Twisted logs a producer left registered at finish


async def test_a_lost_connection_lets_the_sender_finish():
    request = twisted_request()
    window = SendWindow(request)

    async def send(message):
        pass

    send_paced = paced(send, window)
    await send_paced({"type": "http.response.body", "body": b"one", "more_body": True})
    request.channel.pauseProducing()
    waiting = asyncio.ensure_future(send_paced({"type": "http.response.body", "body": b"two", "more_body": True}))
    await asyncio.sleep(0.05)
    request.channel.connectionLost(Failure(ConnectionDone()))  # the client went away
    await asyncio.wait_for(waiting, 1)
    assert request.producer is None
