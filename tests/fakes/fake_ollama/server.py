"""The fake's HTTP/1.1 server: keep-alive, chunked NDJSON streams, and the control API under /fake/."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
from datetime import UTC, datetime

from tests.fakes.fake_ollama.models import DEFAULT_MODELS, show_body, tags_body
from tests.fakes.fake_ollama.scripts import Rule, Scripts, split, token_pieces

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}


class FakeOllama:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.models = dict(DEFAULT_MODELS)
        self.scripts = Scripts()
        self._requests: list[dict] = []
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- Driving it from tests ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def add_rule(self, match: str, turns: list[dict], where: str = "last_user", times: int | None = None,
                 repeat: bool = False) -> None:  # fmt: skip
        """Answer requests whose text contains `match` with `turns`; the earliest added matching rule wins."""
        self.scripts.rules.append(Rule(match, list(turns), where, times, repeat))

    def set_script(self, name: str, turns: list[dict]) -> None:
        self.scripts.named[name] = list(turns)

    def add_model(self, name: str, context_length: int, arch: str = "llama") -> None:
        self.models[name] = (arch, context_length)

    def requests(self, path: str | None = "/api/chat") -> list[dict]:
        """Bodies of the requests received, oldest first (each with `_path`)."""
        return [r for r in list(self._requests) if path is None or r["_path"] == path]

    def clear_requests(self) -> None:
        self._requests = []

    def reset(self) -> None:
        self.scripts = Scripts()
        self.models = dict(DEFAULT_MODELS)
        self._requests = []

    # --- Running ------------------------------------------------------------------------------------------

    async def serve(self) -> None:
        self._server = await asyncio.start_server(self._connection, self.host, self.port, limit=2**24, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    def start(self) -> FakeOllama:
        """Serve from a background thread with its own event loop."""
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.serve())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-ollama", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    async def close(self) -> None:
        """Stop listening and end open connections, so nothing is left pending on the loop."""
        if self._server:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        if self._loop and self._thread:
            asyncio.run_coroutine_threadsafe(self.close(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()

    # --- HTTP ---------------------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                keep_open = await self._dispatch(method, target.split("?", 1)[0], body, writer)
                if not keep_open or headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    async def _dispatch(self, method: str, path: str, raw: bytes, writer: asyncio.StreamWriter) -> bool:
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return self._json(writer, 400, {"error": "invalid JSON body"})
        if path.startswith("/api/"):
            self._requests.append({"_path": path, "_method": method, **(body if isinstance(body, dict) else {})})
        if path == "/api/chat" and method == "POST":
            return await self._chat(body, writer)
        if path == "/api/show" and method == "POST":
            name = body.get("model") or body.get("name") or ""
            if name not in self.models:
                return self._json(writer, 404, {"error": f"model '{name}' not found"})
            arch, ctx = self.models[name]
            return self._json(writer, 200, show_body(name, arch, ctx))
        if path == "/api/tags" and method == "GET":
            return self._json(writer, 200, tags_body(self.models))
        if path == "/api/version":
            return self._json(writer, 200, {"version": "0.12.6"})
        if path.startswith("/fake/") and method == "POST":
            return self._json(writer, 200, self._control(path, body))
        if path == "/fake/requests" and method == "GET":
            return self._json(writer, 200, {"requests": self.requests(None)})
        if path == "/":
            return self._text(writer, 200, "Ollama is running")
        return self._json(writer, 404, {"error": "404 page not found"})

    def _control(self, path: str, body: dict) -> dict:
        if path == "/fake/rules":
            self.add_rule(body["match"], body["turns"], body.get("where", "last_user"), body.get("times"),
                          bool(body.get("repeat")))  # fmt: skip
        elif path.startswith("/fake/scripts/"):
            self.set_script(path.removeprefix("/fake/scripts/"), body["turns"])
        elif path == "/fake/reset":
            self.reset()
        elif path == "/fake/models":
            self.add_model(body["name"], int(body["context_length"]), body.get("arch", "llama"))
        return {"ok": True}

    async def _chat(self, body: dict, writer: asyncio.StreamWriter) -> bool:
        model = body.get("model") or ""
        messages = body.get("messages") or []
        if model not in self.models:
            return self._json(writer, 404, {"error": f'model "{model}" not found, try pulling it first'})
        problem = _bad_images(messages)
        if problem:
            return self._json(writer, 400, {"error": problem})
        turn = self.scripts.turn_for(messages)
        if turn.get("hang"):
            await asyncio.Event().wait()  # until the client goes away and the server closes
        if "http_status" in turn:
            return self._json(writer, int(turn["http_status"]), {"error": turn.get("error", "fake error")})
        prompt_tokens = turn.get("prompt_eval_count", sum(len(m.get("content") or "") for m in messages) // 4)
        if body.get("stream", True) is False:
            return await self._chat_whole(model, turn, prompt_tokens, writer)
        return await self._chat_stream(model, turn, prompt_tokens, writer)

    async def _chat_whole(self, model: str, turn: dict, prompt_tokens: int, writer: asyncio.StreamWriter) -> bool:
        if turn.get("first_delay") or turn.get("delay"):
            await asyncio.sleep(float(turn.get("first_delay") or turn.get("delay")))
        if turn.get("error"):
            return self._json(writer, 500, {"error": turn["error"]})
        content = turn.get("content", "")
        if "tokens" in turn:
            content = "".join(token_pieces(turn))
        message = {"role": "assistant", "content": content}
        if turn.get("thinking"):
            message["thinking"] = turn["thinking"]
        if turn.get("tool_calls"):
            message["tool_calls"] = _tool_calls(turn["tool_calls"])
        final = _final(model, prompt_tokens, turn.get("eval_count", max(1, len(content) // 4)))
        return self._json(writer, 200, {**final, "message": message})

    async def _chat_stream(self, model: str, turn: dict, prompt_tokens: int, writer: asyncio.StreamWriter) -> bool:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: keep-alive\r\n\r\n"
        )
        delay = float(turn.get("delay", 0))
        error_after = int(turn.get("error_after", 0))
        sent = 0
        try:
            if turn.get("first_delay"):
                await writer.drain()
                await asyncio.sleep(float(turn["first_delay"]))
            for kind, piece in _pieces(turn):
                if turn.get("error") and sent >= error_after:
                    break
                if sent and delay:
                    await asyncio.sleep(delay)
                self._chunk(
                    writer,
                    {**_head(model), "message": {"role": "assistant", "content": "", kind: piece}, "done": False},
                )
                sent += 1
                if delay or sent % 64 == 0:
                    await writer.drain()
            if turn.get("error"):
                self._chunk(writer, {"error": turn["error"]})
            else:
                if turn.get("tool_calls"):
                    calls = _tool_calls(turn["tool_calls"])
                    self._chunk(
                        writer,
                        {
                            **_head(model),
                            "message": {"role": "assistant", "content": "", "tool_calls": calls},
                            "done": False,
                        },
                    )
                final = _final(model, prompt_tokens, turn.get("eval_count", max(1, sent)))
                self._chunk(writer, {**final, "message": {"role": "assistant", "content": ""}})
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            return False
        return True

    # --- Writing ------------------------------------------------------------------------------------------

    @staticmethod
    def _chunk(writer: asyncio.StreamWriter, obj: dict) -> None:
        data = json.dumps(obj).encode() + b"\n"
        writer.write(b"%x\r\n%s\r\n" % (len(data), data))

    @staticmethod
    def _json(writer: asyncio.StreamWriter, status: int, obj: dict) -> bool:
        data = json.dumps(obj).encode()
        reason = REASONS.get(status, "Error")
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        return True

    @staticmethod
    def _text(writer: asyncio.StreamWriter, status: int, text: str) -> bool:
        data = text.encode()
        writer.write(
            f"HTTP/1.1 {status} OK\r\nContent-Type: text/plain\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data
        )
        return True


def _pieces(turn: dict):
    for piece in split(turn.get("thinking", ""), turn.get("pieces")):
        yield "thinking", piece
    if "tokens" in turn:
        for piece in token_pieces(turn):
            yield "content", piece
    else:
        for piece in split(turn.get("content", ""), turn.get("pieces")):
            yield "content", piece


def _tool_calls(calls: list[dict]) -> list[dict]:
    out = []
    for index, call in enumerate(calls):
        function = call.get("function", call)
        out.append({"function": {"index": index, "name": function["name"], "arguments": function.get("arguments", {})}})
    return out


def _head(model: str) -> dict:
    return {"model": model, "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z")}


def _final(model: str, prompt_tokens: int, eval_tokens: int) -> dict:
    return {
        **_head(model),
        "done": True,
        "done_reason": "stop",
        "total_duration": 1_000_000,
        "load_duration": 100_000,
        "prompt_eval_count": int(prompt_tokens),
        "prompt_eval_duration": 200_000,
        "eval_count": int(eval_tokens),
        "eval_duration": 700_000,
    }


def _bad_images(messages: list[dict]) -> str | None:
    """Ollama wants raw base64 images and refuses anything else (a data URL, say) with 400."""
    for message in messages:
        for image in message.get("images") or []:
            try:
                base64.b64decode(image, validate=True)
            except (binascii.Error, ValueError, TypeError):
                return "illegal base64 data at input byte 4"
    return None
