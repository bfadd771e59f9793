"""The engine's LLM port over Ollama, through the `ollama` client's HTTP transport and error handling.

What a real Ollama does that this adapter answers for (docs/ollama.md has the details and versions):
- A model that can think thinks when `think` is left out, so `think` is sent on every call (side calls false
  unless a profile asks), and never to a model whose `/api/show` capabilities lack `thinking`.
- `tools` sent to a model without the `tools` capability answers 400: refused here first, with a clear message.
- A different `num_ctx` reloads the model: every call for a model sends the same one (`num_ctx_for`).
- Requests queue behind others and model loads (OLLAMA_NUM_PARALLEL): the first part may take long
  (NAVI_OLLAMA_FIRST_BYTE_TIMEOUT); silence between parts is a different, shorter limit (NAVI_OLLAMA_READ_TIMEOUT).
- The client has no default timeout; httpx gets one as a backstop.
- Each call leases a client of its own (`_leased`): an httpx pool serves 100 connections at most (the 101st
  request waits for a free one) and walks all of them at every request's start and end.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass

import httpx
import ollama

from agents_app.engine import ChatMessage, Completion, LLMChunk, LLMError
from agents_app.model_context import num_ctx_for_model
from agents_app.ollama_wire import chat_payload, chunk_from_part
from agents_app.silence import SilenceLimit


@dataclass(frozen=True)
class ModelInfo:
    context_length: int | None
    # None when the server does not say (Ollama before 0.6.4): then nothing is refused up front.
    capabilities: frozenset[str] | None

    def lacks(self, capability: str) -> bool:
        return self.capabilities is not None and capability not in self.capabilities


def model_info_from_show(body: Mapping) -> ModelInfo:
    info = body.get("model_info") or body.get("modelinfo") or {}
    lengths = [v for k, v in info.items() if k.endswith(".context_length") and isinstance(v, int)]
    capabilities = body.get("capabilities")
    return ModelInfo(
        context_length=lengths[0] if lengths else None,
        capabilities=frozenset(capabilities) if isinstance(capabilities, list) else None,
    )


IDLE_CLIENTS = 64  # kept per process between calls; a burst past it opens new connections and closes them after


class _Client(ollama.AsyncClient):
    async def chat_parts(self, payload: dict) -> AsyncIterator[dict]:
        return await self._request(dict, "POST", "/api/chat", json=payload, stream=True)

    async def chat_whole(self, payload: dict) -> dict:
        return await self._request(dict, "POST", "/api/chat", json=payload, stream=False)

    async def show_raw(self, model: str) -> dict:
        return (await self._request_raw("POST", "/api/show", json={"model": model})).json()


class OllamaLLM:
    def __init__(
        self,
        *,
        host: str,
        connect_timeout: float,
        read_timeout: float,
        first_byte_timeout: float | None = None,
        keep_alive: str | None = None,
        context_for_model: Callable[[str, int | None], int] | None = None,
    ) -> None:
        self.host = host
        self.read_timeout = read_timeout
        self.first_byte_timeout = first_byte_timeout or read_timeout
        self.keep_alive = keep_alive
        # The model's num_ctx given its trained length; the same for every call so nothing reloads.
        self._context_for_model = context_for_model or num_ctx_for_model
        # httpx's own read limit is only a backstop: the two limits above are enforced per part.
        self._timeout = httpx.Timeout(max(read_timeout, self.first_byte_timeout) + 5, connect=connect_timeout)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: list[_Client] = []  # clients of self._loop between calls, each keeping its connection alive
        self._tls: ssl.SSLContext | None = None
        self._models: dict[str, ModelInfo] = {}

    @asynccontextmanager
    async def _leased(self) -> AsyncIterator[_Client]:
        """A client for one call, with its connection kept alive for the next. One client shared by every run
        of a process held up the runs past its pool's 100 connections (500 streams at once: the first token
        came after 13 s at p50) and walked all its connections at each request's start and end."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # httpx clients belong to one loop; tests and the in-process runner change it
            self._loop, self._idle = loop, []
        idle = self._idle
        client = idle.pop() if idle else self._new_client()
        try:
            yield client
        finally:
            if idle is self._idle and len(idle) < IDLE_CLIENTS:
                idle.append(client)
            else:
                await client._client.aclose()

    def _new_client(self) -> _Client:
        if self._tls is None:  # shared: httpx builds one per client otherwise (15 ms each); as httpx does, so
            self._tls = httpx.create_ssl_context()  # SSL_CERT_FILE and SSL_CERT_DIR still name the trusted CAs
        return _Client(host=self.host, timeout=self._timeout, verify=self._tls)

    # --- What the server says of a model ----------------------------------------------------------------

    async def model_info(self, model: str) -> ModelInfo:
        """Context length and capabilities from /api/show, asked once per model."""
        if model not in self._models:
            try:
                async with self._leased() as client:
                    body = await client.show_raw(model)
            except Exception as exc:
                raise self._explain(exc, model) from exc
            self._models[model] = model_info_from_show(body)
        return self._models[model]

    async def context_length(self, model: str) -> int | None:
        return (await self.model_info(model)).context_length

    async def num_ctx_for(self, model: str) -> int:
        return self._context_for_model(model, await self.context_length(model))

    # --- Calls ------------------------------------------------------------------------------------------

    async def _request(self, *, model, messages, tools, think: bool, options, stream: bool = True) -> dict:
        info = await self.model_info(model)
        if tools and info.lacks("tools"):
            raise LLMError(
                f"Model {model!r} cannot call tools (Ollama lists its capabilities as: "
                f"{', '.join(sorted(info.capabilities or ())) or 'none'}). Choose a model with tool support for "
                "this profile, or remove its enabled_tools."
            )
        return chat_payload(
            model=model,
            messages=messages,
            tools=tools,
            think=None if info.lacks("thinking") else think,
            options={**(options or {}), "num_ctx": await self.num_ctx_for(model)},
            keep_alive=self.keep_alive,
            stream=stream,
        )

    async def _parts(self, payload: dict, model: str) -> AsyncIterator[dict]:
        """The stream's parts, the first within the first-byte limit and each next within the silence limit."""
        first = True
        try:
            # In this task: the stream's context must not change tasks. One timer per limit (agents_app.silence).
            async with self._leased() as client:
                stream = await client.chat_parts(payload)
                async with aclosing(stream), SilenceLimit(self.first_byte_timeout) as silence:
                    while True:
                        async with silence.reading():
                            part = await anext(stream, None)
                        if part is None:
                            return
                        yield part
                        if first:
                            first = False
                            silence.set_limit(self.read_timeout)
        except TimeoutError:
            raise self._timed_out(model, first=first) from None

    async def chat(
        self,
        *,
        model: str,
        messages: Sequence[ChatMessage],
        tools: Sequence[dict] = (),
        think: bool = False,
        options: Mapping | None = None,
    ) -> AsyncIterator[LLMChunk]:
        try:
            payload = await self._request(model=model, messages=messages, tools=tools, think=think, options=options)
            async for part in self._parts(payload, model):
                yield chunk_from_part(part)
        except Exception as exc:
            raise self._explain(exc, model) from exc

    async def complete(
        self, *, model: str, messages: Sequence[ChatMessage], options: Mapping | None = None, think: bool = False
    ) -> Completion:
        """One whole, unstreamed answer: all of it must arrive within the first-byte limit."""
        try:
            payload = await self._request(
                model=model, messages=messages, tools=(), think=think, options=options, stream=False
            )
            try:
                async with asyncio.timeout(self.first_byte_timeout):
                    async with self._leased() as client:
                        answer = chunk_from_part(await client.chat_whole(payload))
            except TimeoutError:
                raise self._timed_out(model, first=True) from None
        except Exception as exc:
            raise self._explain(exc, model) from exc
        return Completion(text=answer.content, truncated=answer.done_reason == "length")

    # --- Errors in words a user can act on --------------------------------------------------------------

    def _timed_out(self, model: str, *, first: bool) -> LLMError:
        if first:
            return LLMError(
                f"Ollama at {self.host} did not start answering for model {model!r} within "
                f"{self.first_byte_timeout:g} s (NAVI_OLLAMA_FIRST_BYTE_TIMEOUT): the model may still be loading, "
                "or other requests are queued ahead of it (OLLAMA_NUM_PARALLEL)"
            )
        return LLMError(
            f"Ollama at {self.host} sent nothing for {self.read_timeout:g} s mid-answer (NAVI_OLLAMA_READ_TIMEOUT)"
        )

    def _explain(self, exc: Exception, model: str) -> Exception:
        if isinstance(exc, LLMError | asyncio.CancelledError):
            return exc
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code == 404:
                return LLMError(
                    f"Model {model!r} is not available on the Ollama server at {self.host} ({exc.error}). "
                    f"Pull it with `ollama pull {model}` or choose another model in the profile."
                )
            return LLMError(f"Ollama reported an error for model {model!r}: {exc.error}")
        if isinstance(exc, ConnectionError | httpx.ConnectError | httpx.ConnectTimeout):
            return LLMError(f"Ollama is unreachable at {self.host}: is it running? (OLLAMA_HOST)")
        if isinstance(exc, httpx.ReadTimeout):
            return self._timed_out(model, first=False)
        if isinstance(exc, httpx.HTTPError):
            return LLMError(f"The connection to Ollama at {self.host} failed: {type(exc).__name__}: {exc}")
        return LLMError(f"Unexpected reply from Ollama at {self.host}: {type(exc).__name__}: {exc}")


_default: OllamaLLM | None = None


def default_llm() -> OllamaLLM:
    global _default
    if _default is None:
        from django.conf import settings

        _default = OllamaLLM(
            host=settings.OLLAMA_HOST,
            connect_timeout=settings.NAVI_OLLAMA_CONNECT_TIMEOUT,
            read_timeout=settings.NAVI_OLLAMA_READ_TIMEOUT,
            first_byte_timeout=settings.NAVI_OLLAMA_FIRST_BYTE_TIMEOUT,
            keep_alive=settings.NAVI_OLLAMA_KEEP_ALIVE,
            context_for_model=num_ctx_for_model,
        )
    return _default
