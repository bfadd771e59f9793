"""The fake's HTTP/1.1 server: keep-alive, chunked NDJSON streams, and the control API under /fake/.

A chat request goes the way server/routes.go ChatHandler takes it: bind (think, keep_alive, images), find the
model, unload on empty messages with keep_alive 0, refuse what the model cannot do, schedule (load, queue),
answer "load" to empty messages, then generate within num_predict and the context.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.fake_ollama.models import DEFAULT_MODELS, FakeModel, ps_entry, show_body, tags_body
from tests.fakes.fake_ollama.sched import ClientGone, Scheduler, sleep_unless_gone
from tests.fakes.fake_ollama.scripts import Rule, Scripts, split, token_pieces
from tests.fakes.fake_ollama.wire import (
    BadRequest,
    Options,
    full_name,
    go_quote,
    keep_alive_seconds,
    think_value,
    tool_call_id,
)

REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
VERSION = "0.32.15"  # the release whose behaviour the fake copies (unchanged at ollama/ollama fb30760, 2026-08-21)
# What a model that thinks by default reasons when its script gives no thinking.
DEFAULT_REASONING = "Let me think about what is being asked before I answer."
# llm/llama_server.go: an open-ended generation (num_predict -1) is bounded to this many contexts' worth.
OPEN_ENDED_CONTEXTS = 10
PROMPT_TOO_LONG = (
    "the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the "
    "context length in settings, or use a model with a longer context length"
)


@dataclass
class _Chat:
    """One chat request, as the fake will answer it."""

    name: str
    model: FakeModel
    turn: dict
    thinking: bool  # whether the model thinks in this request
    invent_thinking: bool  # think left out on a model that thinks by default: it reasons even unscripted
    with_tools: bool
    budget: int  # pieces it may generate
    prompt_tokens: int
    started: float
    loaded: float  # when scheduling (queue and load) was over: load_duration is loaded - started
    release: Callable[[], None]  # gives the runner back; called before the answer's last bytes, and again after


class FakeOllama:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, parallel: int | None = None,
                 max_loaded: int | None = None, default_num_ctx: int = 4096, keep_alive: float = 300.0) -> None:  # fmt: skip
        """`parallel`: requests each loaded model serves at once (OLLAMA_NUM_PARALLEL; None: no limit).
        `max_loaded`: models loaded at once (OLLAMA_MAX_LOADED_MODELS; None: all fit).
        `default_num_ctx`: num_ctx of a request without one (Ollama's default below 24 GiB of VRAM).
        `keep_alive`: seconds a model stays loaded after its last request (OLLAMA_KEEP_ALIVE, 5m)."""
        self.host, self.port = host, port
        self._settings = (parallel, max_loaded, default_num_ctx, keep_alive)
        self.models: dict[str, FakeModel] = dict(DEFAULT_MODELS)
        self.scripts = Scripts()
        self.default_num_ctx = default_num_ctx
        self.sched = Scheduler(parallel, max_loaded, keep_alive)
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

    def add_model(self, name: str, context_length: int, arch: str = "llama", **fields: Any) -> FakeModel:
        """Add or replace a model; `fields` are FakeModel's (capabilities, thinks_by_default, load_seconds...)."""
        if "capabilities" in fields:
            fields["capabilities"] = tuple(fields["capabilities"])
        self.models[name] = FakeModel(arch, int(context_length), **fields)
        return self.models[name]

    def set_model(self, name: str, **fields: Any) -> FakeModel:
        """Change some fields of a known model, e.g. `set_model("qwen3:8b", load_seconds=0.5)`."""
        if "capabilities" in fields:
            fields["capabilities"] = tuple(fields["capabilities"])
        self.models[name] = replace(self.models[name], **fields)
        return self.models[name]

    def set_parallel(self, parallel: int | None) -> None:
        """Requests each loaded model serves at once, like OLLAMA_NUM_PARALLEL; None for no limit."""
        self.sched.parallel = parallel

    def set_max_loaded(self, max_loaded: int | None) -> None:
        self.sched.max_loaded = max_loaded

    @property
    def parallel(self) -> int | None:
        return self.sched.parallel

    @property
    def loads(self) -> list[tuple[str, int]]:
        """Every (re)load so far, oldest first, as (model, num_ctx)."""
        return self.sched.loads

    def loaded(self) -> dict[str, int]:
        """The models loaded now and their num_ctx."""
        return self.sched.loaded()

    def requests(self, path: str | None = "/api/chat") -> list[dict]:
        """Bodies of the requests received, oldest first (each with `_path`)."""
        return [r for r in list(self._requests) if path is None or r["_path"] == path]

    def clear_requests(self) -> None:
        self._requests = []

    def reset(self) -> None:
        """Back to how it was made: scripts, models, requests, parallel, loaded models and loads."""
        parallel, max_loaded, default_num_ctx, keep_alive = self._settings
        self.scripts = Scripts()
        self.models = dict(DEFAULT_MODELS)
        self._requests = []
        self.default_num_ctx = default_num_ctx
        self.sched.parallel, self.sched.max_loaded, self.sched.keep_alive = parallel, max_loaded, keep_alive
        self.sched.clear()

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
                keep_open = await self._dispatch(method, target.split("?", 1)[0], body, writer, reader)
                if not keep_open or headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    async def _dispatch(self, method: str, path: str, raw: bytes, writer: asyncio.StreamWriter,
                        reader: asyncio.StreamReader | None = None) -> bool:  # fmt: skip
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return self._json(writer, 400, {"error": "invalid JSON body"})
        if path.startswith("/api/"):
            self._requests.append({"_path": path, "_method": method, **(body if isinstance(body, dict) else {})})
        if path == "/api/chat" and method == "POST":
            try:
                return await self._chat(body, writer, reader)
            except ClientGone:
                return False
        if path == "/api/show" and method == "POST":
            name = body.get("model") or body.get("name") or ""
            model = self._model(name)
            if model is None:
                return self._json(writer, 404, {"error": f"model '{name}' not found"})
            return self._json(writer, 200, show_body(name, model))
        if path == "/api/tags" and method == "GET":
            return self._json(writer, 200, tags_body(self.models))
        if path == "/api/ps" and method == "GET":
            return self._json(writer, 200, self._ps())
        if path == "/api/version":
            return self._json(writer, 200, {"version": VERSION})
        if path.startswith("/fake/") and method == "POST":
            return self._json(writer, 200, self._control(path, body))
        if path == "/fake/requests" and method == "GET":
            return self._json(writer, 200, {"requests": self.requests(None)})
        if path == "/fake/loads" and method == "GET":
            return self._json(writer, 200, {"loads": self.loads, "loaded": self.loaded(), "parallel": self.parallel})
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
            fields = {k: v for k, v in body.items() if k not in ("name", "context_length", "arch")}
            self.add_model(body["name"], int(body["context_length"]), body.get("arch", "llama"), **fields)
        elif path == "/fake/parallel":
            self.set_parallel(body.get("parallel"))
        elif path == "/fake/max_loaded":
            self.set_max_loaded(body.get("max_loaded"))
        return {"ok": True}

    def _model(self, name: str) -> FakeModel | None:
        if name in self.models:
            return self.models[name]
        return self.models.get(name + ":latest") if ":" not in name.rsplit("/", 1)[-1] else None

    def _ps(self) -> dict:
        now = time.monotonic()
        entries = []
        for name, runner in list(self.sched.runners.items()):
            model = self._model(name)
            if model is None or runner.closing:
                continue
            left = runner.expires_at - now if math.isfinite(runner.expires_at) else runner.keep_alive
            left = min(left, 10 * 365 * 86400)  # "forever" as a date far away
            expires = (datetime.now(UTC) + timedelta(seconds=max(0.0, left))).isoformat().replace("+00:00", "Z")
            entries.append(ps_entry(name, model, runner.num_ctx, expires))
        return {"models": entries}

    # --- /api/chat ----------------------------------------------------------------------------------------

    async def _chat(self, body: dict, writer: asyncio.StreamWriter, reader: asyncio.StreamReader | None) -> bool:
        started = time.monotonic()
        messages = body.get("messages") or []
        # Binding the body (api/types.go): bad think, keep_alive or images refuse the request before anything.
        try:
            think = think_value(body.get("think"))
            keep_alive = keep_alive_seconds(body.get("keep_alive"))
            problem = _bad_images(messages)
            if problem:
                raise BadRequest(problem)
        except BadRequest as exc:
            return self._json(writer, 400, {"error": str(exc)})
        name = body.get("model") or ""
        if not name:
            return self._json(writer, 400, {"error": "model is required"})
        model = self._model(name)
        if model is None:
            return self._json(writer, 404, {"error": f"model '{name}' not found"})
        if not messages and keep_alive == 0:
            self.sched.unload(name)
            return self._json(writer, 200, _bare(name, "unload"))
        refusal = _refusal(name, model, think, bool(body.get("tools")))
        if refusal:
            return self._json(writer, 400, {"error": refusal})

        turn = self.scripts.turn_for(messages) if messages else {}
        if "http_status" in turn:
            return self._json(writer, int(turn["http_status"]), {"error": turn.get("error", "fake error")})
        options = Options.of(body.get("options"))
        num_ctx = self._num_ctx(model, options)
        shift = body["shift"] if isinstance(body.get("shift"), bool) else model.context_shift
        runner = await self.sched.acquire(name, num_ctx, shift, model.load_seconds, keep_alive, reader,
                                          slot=bool(messages))  # fmt: skip
        loaded = time.monotonic()
        released = False

        def release() -> None:
            # Before the last bytes: a client that reads the answer then sees the model idle (or unloaded).
            nonlocal released
            if not released:
                released = True
                self.sched.release(runner)

        if not messages:
            self.sched.release(runner, slot=False)
            return self._json(writer, 200, _bare(name, "load"))
        try:
            if turn.get("hang"):
                await sleep_unless_gone(math.inf, reader)  # holds its slot until the client goes away
            prompt_tokens = _prompt_tokens(messages, num_ctx, body.get("truncate") is not False)
            if prompt_tokens > num_ctx - 1:
                if not shift:
                    return self._json(writer, 400, {"error": PROMPT_TOO_LONG})
                prompt_tokens = _shifted_prompt(num_ctx, options.num_keep)
            chat = _Chat(
                name=name,
                model=model,
                turn=turn,
                thinking=model.can("thinking") and (model.thinks_by_default if think is None else think),
                invent_thinking=think is None,
                with_tools=bool(body.get("tools")),
                budget=_budget(options, num_ctx, prompt_tokens, shift),
                prompt_tokens=prompt_tokens,
                started=started,
                loaded=loaded,
                release=release,
            )
            if body.get("stream", True) is False:
                return await self._chat_whole(chat, writer, reader)
            return await self._chat_stream(chat, writer, reader)
        finally:
            release()

    def _num_ctx(self, model: FakeModel, options: Options) -> int:
        # sched.go getRunner (at least 4) and effectiveContext (at most the trained length).
        wanted = options.num_ctx if options.num_ctx is not None else self.default_num_ctx
        return max(4, min(wanted, model.context_length))

    def _events(self, chat: _Chat) -> Iterator[tuple[str, object]]:
        """What the model generates, in order: ("thinking" | "content", text) pieces, then ("tool_call", call)."""
        turn = chat.turn
        if chat.thinking:
            thinking = turn.get("thinking") or (DEFAULT_REASONING if chat.invent_thinking else "")
            for piece in split(thinking, turn.get("pieces")):
                yield "thinking", piece
        if "tokens" in turn:
            for piece in token_pieces(turn):
                yield "content", piece
        else:
            for piece in split(turn.get("content", ""), turn.get("pieces")):
                yield "content", piece
        if chat.model.can("tools"):  # a model without tool support has no parser that could make a call
            for index, call in enumerate(turn.get("tool_calls") or []):
                yield "tool_call", _tool_call(index, call)

    def _generate(self, chat: _Chat) -> _Within:
        return _Within(self._events(chat), chat.budget)

    async def _chat_whole(self, chat: _Chat, writer: asyncio.StreamWriter,
                          reader: asyncio.StreamReader | None) -> bool:  # fmt: skip
        turn = chat.turn
        if turn.get("first_delay") or turn.get("delay"):
            await sleep_unless_gone(float(turn.get("first_delay") or turn.get("delay")), reader)
        if turn.get("error"):
            return self._json(writer, 500, {"error": turn["error"]})
        events = self._generate(chat)
        texts: dict[str, list[str]] = {"thinking": [], "content": []}
        calls: list[dict] = []
        for kind, value in events:
            if kind == "tool_call":
                calls.append(value)  # type: ignore[arg-type]
            else:
                texts[kind].append(value)  # type: ignore[arg-type]
        message: dict = {"role": "assistant", "content": "".join(texts["content"])}
        if texts["thinking"]:
            message["thinking"] = "".join(texts["thinking"])
        # routes.go writeChatResponse keeps tool calls in a whole answer only when the request sent tools.
        if calls and chat.with_tools:
            message["tool_calls"] = calls
        final = self._final(chat, events.count, events.done_reason)
        chat.release()
        return self._json(writer, 200, {**final, "message": message})

    async def _chat_stream(self, chat: _Chat, writer: asyncio.StreamWriter,
                           reader: asyncio.StreamReader | None) -> bool:  # fmt: skip
        turn = chat.turn
        delay = float(turn.get("delay", 0))
        error_after = int(turn.get("error_after", 0))
        started = [False]

        def send(obj: dict) -> None:
            # Ollama's headers go out with the first part: queueing, loading and first_delay all come before.
            if not started[0]:
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n"
                    b"Connection: keep-alive\r\n\r\n"
                )
                started[0] = True
            self._chunk(writer, obj)

        sent = 0
        try:
            if turn.get("first_delay"):
                await sleep_unless_gone(float(turn["first_delay"]), reader)
            events = self._generate(chat)
            in_final: list[dict] = []
            async for kind, value in _paced(events, delay, reader):
                if kind == "tool_call":
                    if turn.get("error"):
                        break
                    if chat.model.tool_calls_in_final_chunk:
                        in_final.append(value)  # type: ignore[arg-type]
                        continue
                    # One part per call as it closes, with its id and index (routes.go ChatHandler).
                    message = {"role": "assistant", "content": "", "tool_calls": [value]}
                else:
                    if turn.get("error") and sent >= error_after:
                        break
                    message = {"role": "assistant", "content": "", kind: value}
                send({**_head(chat.name), "message": message, "done": False})
                sent += 1
                if delay or sent % 64 == 0:
                    await writer.drain()
            if turn.get("error"):
                if not started[0]:
                    # routes.go streamResponse: an error before any part is a status, not a stream.
                    return self._json(writer, 500, {"error": turn["error"]})
                send({"error": turn["error"]})
            else:
                final = self._final(chat, sent + len(in_final), events.done_reason)
                message = {"role": "assistant", "content": ""}
                if in_final:
                    message["tool_calls"] = in_final
                chat.release()
                send({**final, "message": message})
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            return False
        return True

    def _final(self, chat: _Chat, generated: int, done_reason: str) -> dict:
        turn = chat.turn
        eval_count = turn.get("eval_count", max(1, generated)) if done_reason == "stop" else generated
        return {
            **_head(chat.name),
            "done": True,
            "done_reason": done_reason,
            "total_duration": max(1_000_000, int((time.monotonic() - chat.started) * 1e9)),
            "load_duration": max(100_000, int((chat.loaded - chat.started) * 1e9)),
            "prompt_eval_count": int(turn.get("prompt_eval_count", chat.prompt_tokens)),
            "prompt_eval_duration": 200_000,
            "eval_count": int(eval_count),
            "eval_duration": 700_000,
        }

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


async def _paced(events, delay: float, reader: asyncio.StreamReader | None):
    """The events, `delay` apart: each made after its pause, as a model makes a token after the one before,
    so what it stamps (`stamp`) is when it is written. The done part follows the last token by one pause, the
    step in which the model makes its stop token."""
    iterator = iter(events)
    for index in itertools.count():
        if index and delay:
            await sleep_unless_gone(delay, reader)
        try:
            yield next(iterator)
        except StopIteration:
            return


def _refusal(name: str, model: FakeModel, think: bool | None, tools: bool) -> str | None:
    """routes.go ChatHandler's capability checks, in its order, with its messages."""
    if think and not model.can("thinking"):
        return f"{go_quote(name)} does not support thinking"  # think: false (or left out) is fine
    if not model.can("completion"):
        return f"{go_quote(name)} does not support chat"
    if tools and not model.can("tools"):
        # scheduleRunner: fmt.Errorf("%s %w", model.Name, err), the full name, from images.go CheckCapabilities
        return f"{full_name(name)} does not support tools"
    return None


def _prompt_tokens(messages: list[dict], num_ctx: int, truncate: bool) -> int:
    """Characters / 4, after prompt.go chatPrompt drops the oldest messages (keeping system ones and the last)."""
    sizes = [len(m.get("content") or "") for m in messages]
    if not truncate or sum(sizes) // 4 <= num_ctx:
        return sum(sizes) // 4
    for start in range(1, len(messages)):
        system = sum(size for m, size in zip(messages[:start], sizes[:start], strict=True) if m.get("role") == "system")
        kept = (system + sum(sizes[start:])) // 4
        if kept <= num_ctx or start == len(messages) - 1:
            return kept
    return sum(sizes) // 4


def _shifted_prompt(num_ctx: int, num_keep: int) -> int:
    """llm/llama_server.go contextShiftPromptLimit: what is left of a prompt too long for the context."""
    keep = max(0, min(num_keep, num_ctx - 1))
    return num_ctx - max((num_ctx - keep) // 2, 1)


def _budget(options: Options, num_ctx: int, prompt_tokens: int, shift: bool) -> int:
    # llm/llama_server.go boundedNumPredict: num_predict, else (and at most) 10 contexts' worth.
    limit = OPEN_ENDED_CONTEXTS * num_ctx
    budget = options.num_predict if options.num_predict is not None and 0 < options.num_predict < limit else limit
    if not shift:
        # Without context shift llama-server stops when the context is full (stop type "limit": "length").
        budget = min(budget, max(0, num_ctx - 1 - prompt_tokens))
    return budget


class _Within:
    """The generated events up to the budget; the answer ends with "length" once the budget is reached."""

    def __init__(self, events: Iterator[tuple[str, object]], budget: int) -> None:
        self._events, self.budget, self.count = events, budget, 0

    def __iter__(self) -> Iterator[tuple[str, object]]:
        for event in self._events:
            if self.count >= self.budget:
                return
            self.count += 1
            yield event

    @property
    def done_reason(self) -> str:
        # The limit stops the model before it could end on its own (llm/server.go DoneReasonLength, "length").
        return "length" if self.count >= self.budget else "stop"


def _tool_call(index: int, call: dict) -> dict:
    function = call.get("function", call)
    return {
        "id": call.get("id") or tool_call_id(),
        "function": {"index": index, "name": function["name"], "arguments": function.get("arguments", {})},
    }


def _head(model: str) -> dict:
    return {"model": model, "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z")}


def _bare(model: str, done_reason: str) -> dict:
    """The one object answering a load or an unload (routes.go ChatHandler)."""
    return {**_head(model), "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": done_reason}


def _bad_images(messages: list[dict]) -> str | None:
    """Ollama wants raw base64 images and refuses anything else (a data URL, say) with 400."""
    for message in messages:
        for image in message.get("images") or []:
            try:
                base64.b64decode(image, validate=True)
            except (binascii.Error, ValueError, TypeError):
                return "illegal base64 data at input byte 4"
    return None
