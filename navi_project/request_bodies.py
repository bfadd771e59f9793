"""Large request bodies under daphne: refused early past the limit, and never held in memory whole.

Left alone, daphne (over Twisted) would, for a 200 MB upload:
- let Twisted parse a multipart body into memory (`Request.requestReceived` reads the whole body to fill
  `request.args`, which daphne never uses);
- push the whole body into the application's input queue at once, as 8 KB messages: 200 MB of RAM.
And it would read a body of any size before the application could refuse it.

`install()` changes three things on daphne's request class and its server, and `FeedsBodyFromFile` (an ASGI
middleware) completes the second:
- a declared Content-Length above the limit is answered 413 as soon as the headers are in; a body without a
  length (chunked) is answered 413 the moment it passes the limit, and what was received is thrown away;
- Twisted's own form parsing is off;
- a body Twisted spooled to a temporary file is handed to the application as that file, which the middleware
  reads in chunks as Django asks for them.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import tempfile

from django.conf import settings

from navi_project import response_flow

logger = logging.getLogger(__name__)

# Room for the multipart framing around a file of exactly the limit.
BODY_OVERHEAD = 64 * 1024
CHUNK = 64 * 1024
SCOPE_KEY = "navi.body_file"
# After a 413, how long the rest of the body is drained before the connection closes. Closing at once would make
# many clients lose the 413 in a reset; draining writes nothing anywhere.
DRAIN_SECONDS = 10.0


# Only uploads and messages (which may carry images) take bodies up to the upload limit; every other endpoint
# takes JSON of Django's DATA_UPLOAD_MAX_MEMORY_SIZE, so nobody can spool 200 MB to disk before being told 401.
_LARGE_BODY_PATH = re.compile(rb"^/sessions/[^/?]+/(files|messages)(\?|$)")
SMALL_BODY_LIMIT = 2_621_440


def body_limit(path: bytes = b"") -> int:
    if path and not _LARGE_BODY_PATH.match(path):
        return SMALL_BODY_LIMIT
    return int(settings.NAVI_MAX_UPLOAD_MB) * 1024 * 1024 + BODY_OVERHEAD


def too_large_body(path: bytes = b"") -> bytes:
    if body_limit(path) == SMALL_BODY_LIMIT:
        message = f"The request body exceeds {SMALL_BODY_LIMIT // 1024 // 1024:.1f} MB"
    else:
        message = f"The upload exceeds the {settings.NAVI_MAX_UPLOAD_MB} MB limit"
    return json.dumps({"detail": message, "error": message}).encode()


class _Discard:
    """Stands in for the request's content after a 413: takes the rest of the body and keeps none of it."""

    closed = False

    def write(self, data: bytes) -> None:
        pass

    def read(self, *args) -> bytes:
        return b""

    def seek(self, *args) -> int:
        return 0

    def tell(self) -> int:
        return 0

    def close(self) -> None:
        pass


def _reject(request) -> None:
    """Answer 413 now; drain (discarding) what is still coming, then close."""
    from twisted.internet import reactor

    request._navi_rejected = True
    if request.content is not None and not isinstance(request.content, _Discard):
        request.content.close()  # a temporary file: the partial body is removed with it
    request.content = _Discard()
    request.requestHeaders.removeHeader(b"Expect")  # no `100 Continue` after the answer
    body = too_large_body(_request_path(request))
    request.channel.transport.write(
        b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\nX-Content-Type-Options: nosniff\r\n\r\n".encode()
        + body
    )
    request._navi_close_later = reactor.callLater(DRAIN_SECONDS, request.channel.loseConnection)


def _request_path(request) -> bytes:
    # The request line is parsed before the headers, but Twisted sets `request.path` only once the body is in.
    return getattr(request.channel, "_path", b"") or b""


def daphne_drift() -> list[str]:
    """What no longer holds, in the installed daphne and Twisted, of what `install()` relies on (empty: all of it).

    Neither offers a supported hook for this (docs/files.md says why), so the patch leans on these internals;
    a test runs this, and `install()` patches nothing when something moved rather than half-patch it.
    """
    import inspect

    from daphne import http_protocol, server
    from twisted.web import http

    request_class, problems = http_protocol.WebRequest, []
    originals = getattr(request_class, "_navi_originals", {})  # once installed, judge daphne's own methods

    def source(obj) -> str:
        try:
            return inspect.getsource(obj)
        except (OSError, TypeError):
            return ""

    for name in ("gotLength", "handleContentChunk"):
        if getattr(vars(request_class).get(name), "__module__", __name__) != __name__:
            problems.append(f"daphne's WebRequest now defines {name} itself: patching it would replace daphne's")
        if not callable(getattr(http.Request, name, None)):
            problems.append(f"twisted.web.http.Request.{name} is gone")
    if "_parsePOSTFormSubmission" not in source(http.Request.requestReceived):
        problems.append("Twisted's requestReceived no longer reads _parsePOSTFormSubmission (form parsing stays on)")
    if "self._path" not in source(http.HTTPChannel):
        problems.append("Twisted's HTTPChannel no longer keeps the request line's path in _path")
    process = source(originals.get("process", request_class.process))
    if "create_application" not in process or "self.content.read(" not in process:
        problems.append("daphne's WebRequest.process no longer creates the app, then queues self.content.read()")
    create_application = originals.get("create_application", server.Server.create_application)
    if list(inspect.signature(create_application).parameters) != ["self", "protocol", "scope"]:
        problems.append("daphne's Server.create_application(protocol, scope) changed its signature")
    return problems


def install() -> None:
    """Patch daphne's request and server classes (once); a no-op when daphne is not installed."""
    try:
        from daphne import http_protocol, server
    except ImportError:  # pragma: no cover
        return
    request_class = http_protocol.WebRequest
    if getattr(request_class, "_navi_bodies", False):
        return
    drift = daphne_drift()
    if drift:
        logger.error("large uploads are not streamed: this daphne differs from the one tested: %s", "; ".join(drift))
        return
    request_class._navi_bodies = True
    original_init = request_class.__init__
    original_process = request_class.process
    original_create_application = server.Server.create_application
    request_class._navi_originals = {"process": original_process, "create_application": original_create_application}

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._parsePOSTFormSubmission = False
        self._navi_received = 0
        self._navi_rejected = False

    def gotLength(self, length):
        super(request_class, self).gotLength(length)
        if length is not None and length > body_limit(_request_path(self)):
            _reject(self)

    def handleContentChunk(self, data):
        if self._navi_rejected:
            return
        self._navi_received += len(data)
        if self._navi_received > body_limit(_request_path(self)):
            _reject(self)
            return
        self.content.write(data)

    def process(self):
        if self._navi_rejected:
            pending = getattr(self, "_navi_close_later", None)
            if pending is not None and pending.active():
                pending.cancel()
            self.channel.loseConnection()
            return None
        if self.content is not None and not isinstance(self.content, io.BytesIO):
            # Spooled to disk by Twisted: give the application the file, and daphne an empty body to queue.
            self._navi_body_file, self.content = self.content, io.BytesIO()
        return original_process(self)

    def create_application(self, protocol, scope):
        if scope.get("type") == "http" and isinstance(protocol, request_class):
            extensions = {
                **(scope.get("extensions") or {}),
                response_flow.SCOPE_KEY: response_flow.SendWindow(protocol),
            }
            body_file = getattr(protocol, "_navi_body_file", None)
            if body_file is not None:
                extensions[SCOPE_KEY] = body_file
            scope = {**scope, "extensions": extensions}
        return original_create_application(self, protocol, scope)

    request_class.__init__ = __init__
    request_class.gotLength = gotLength
    request_class.handleContentChunk = handleContentChunk
    request_class.process = process
    server.Server.create_application = create_application


class FeedsBodyFromFile:
    """ASGI middleware for HTTP: serves the body from the file `install()` put in the scope, one chunk per
    `receive()`, so only a chunk at a time is in memory. Also answers 413 for a declared length past the limit
    (under servers other than daphne, where `install()` has no effect).

    A chunked body (no Content-Length) reaches Django with the length it turned out to have: Django reads no
    body without one (its multipart parser takes a missing length for an empty body). Under daphne the body is
    already in the file, counted against the limit as it arrived; under other servers it is spooled here,
    counted the same way.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        path = scope.get("path", "").encode("utf-8", "replace")
        if length.isdigit() and int(length) > body_limit(path):
            return await _send_413(send, path)
        window = (scope.get("extensions") or {}).get(response_flow.SCOPE_KEY)
        if window is not None:
            send = response_flow.paced(send, window)
        body_file = (scope.get("extensions") or {}).get(SCOPE_KEY)
        from_daphne = body_file is not None
        if body_file is None and not length and b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            body_file = await _spool(receive, body_limit(path))
            if body_file is False:
                return None  # the client went away mid-body
            if body_file is None:
                return await _send_413(send, path)
        if body_file is None:
            return await self.app(scope, receive, send)
        if not length:
            scope = {**scope, "headers": [*scope["headers"], (b"content-length", str(_size(body_file)).encode())]}
        try:
            return await self.app(scope, _file_receive(body_file, receive, skip_first=from_daphne), send)
        finally:
            body_file.close()


async def _send_413(send, path: bytes) -> None:
    body = too_large_body(path)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _size(body_file) -> int:
    body_file.seek(0, io.SEEK_END)
    return body_file.tell()


async def _spool(receive, limit: int):
    """The body from receive() in a temporary file; None (and nothing kept) once it passes `limit`, False when
    the client disconnects first."""
    spooled, received = tempfile.TemporaryFile(), 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            spooled.close()
            return False
        received += len(message.get("body", b""))
        if received > limit:
            spooled.close()
            return None
        spooled.write(message.get("body", b""))
        if not message.get("more_body"):
            return spooled


def _file_receive(body_file, receive, *, skip_first: bool):
    """receive() for the app: the file in chunks, then the server's own messages (a disconnect)."""
    body_file.seek(0)
    state = {"done": False, "first": skip_first}

    async def file_receive():
        if state["done"]:
            return await receive()
        if state["first"]:
            state["first"] = False
            message = await receive()  # daphne's single empty body message
            if message["type"] != "http.request":
                state["done"] = True
                return message
        # Read on a thread: besides not blocking on the disk, this is what lets the loop run between chunks (the
        # reader, Django's body spooler, would otherwise copy the whole body without ever yielding).
        chunk = await asyncio.get_running_loop().run_in_executor(None, body_file.read, CHUNK)
        more = len(chunk) == CHUNK
        state["done"] = not more
        return {"type": "http.request", "body": chunk, "more_body": more}

    return file_receive
