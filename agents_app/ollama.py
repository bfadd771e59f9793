"""The engine's LLM port over Ollama, through the `ollama` client.

Two things the client would get wrong for us: it has no default timeout (we pass one), and its `chat()` passes
tools through a model that trims JSON schemas to type/items/description/enum. We build the /api/chat body
ourselves so schemas reach Ollama intact, and keep the client's streaming, parsing and error handling.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence

import httpx
import ollama
from ollama import ChatResponse

from agents_app.engine import ChatMessage, LLMChunk, LLMError, ToolCall


class _Client(ollama.AsyncClient):
    async def chat_stream(self, payload: dict) -> AsyncIterator[ChatResponse]:
        return await self._request(ChatResponse, "POST", "/api/chat", json=payload, stream=True)

    async def chat_once(self, payload: dict) -> ChatResponse:
        return await self._request(ChatResponse, "POST", "/api/chat", json=payload, stream=False)


def message_payload(message: ChatMessage) -> dict:
    body: dict = {"role": message.role, "content": message.content or ""}
    if message.images:
        body["images"] = list(message.images)
    if message.tool_calls:
        body["tool_calls"] = [{"function": {"name": c.name, "arguments": c.arguments}} for c in message.tool_calls]
    if message.role == "tool" and message.name:
        body["tool_name"] = message.name
    if message.thinking and message.role == "assistant" and message.tool_calls:
        # Reasoning of a tool-calling turn helps the model continue it; final answers' reasoning is not resent.
        body["thinking"] = message.thinking
    return body


def chat_payload(
    *,
    model: str,
    messages: Sequence[ChatMessage],
    tools: Sequence[dict],
    think: bool,
    options: Mapping | None,
    stream: bool,
) -> dict:
    payload: dict = {"model": model, "messages": [message_payload(m) for m in messages], "stream": stream}
    if tools:
        payload["tools"] = list(tools)
    if think:
        payload["think"] = True
    if options:
        payload["options"] = dict(options)
    return payload


def _chunk(part: ChatResponse) -> LLMChunk:
    message = part.message
    calls = ()
    if message.tool_calls:
        calls = tuple(
            ToolCall(
                id=f"call_{uuid.uuid4().hex[:12]}", name=c.function.name, arguments=dict(c.function.arguments or {})
            )
            for c in message.tool_calls
        )
    return LLMChunk(
        content=message.content or "",
        thinking=message.thinking or "",
        tool_calls=calls,
        done=bool(part.done),
        prompt_eval_count=part.prompt_eval_count,
        eval_count=part.eval_count,
    )


class OllamaLLM:
    def __init__(self, *, host: str, connect_timeout: float, read_timeout: float) -> None:
        self.host = host
        self._timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._clients: dict[int, _Client] = {}
        self._context_lengths: dict[str, int | None] = {}

    def _client(self) -> _Client:
        # httpx clients belong to one event loop; tests and the in-process runner may use several over time.
        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None:
            self._clients = {loop_id: _Client(host=self.host, timeout=self._timeout)}
            client = self._clients[loop_id]
        return client

    async def chat(
        self,
        *,
        model: str,
        messages: Sequence[ChatMessage],
        tools: Sequence[dict] = (),
        think: bool = False,
        options: Mapping | None = None,
    ) -> AsyncIterator[LLMChunk]:
        payload = chat_payload(model=model, messages=messages, tools=tools, think=think, options=options, stream=True)
        try:
            async for part in await self._client().chat_stream(payload):
                yield _chunk(part)
        except Exception as exc:
            raise self._explain(exc, model) from exc

    async def complete(self, *, model: str, messages: Sequence[ChatMessage], options: Mapping | None = None) -> str:
        """One whole, unstreamed answer (summaries, names, planning phases)."""
        payload = chat_payload(model=model, messages=messages, tools=(), think=False, options=options, stream=False)
        try:
            return (await self._client().chat_once(payload)).message.content or ""
        except Exception as exc:
            raise self._explain(exc, model) from exc

    async def context_length(self, model: str) -> int | None:
        if model not in self._context_lengths:
            try:
                info = (await self._client().show(model)).modelinfo or {}
            except Exception as exc:
                raise self._explain(exc, model) from exc
            lengths = [v for k, v in info.items() if k.endswith(".context_length") and isinstance(v, int)]
            self._context_lengths[model] = lengths[0] if lengths else None
        return self._context_lengths[model]

    def _explain(self, exc: Exception, model: str) -> Exception:
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
            return LLMError(
                f"Ollama at {self.host} sent nothing for {self._timeout.read:g} s (NAVI_OLLAMA_READ_TIMEOUT)"
            )
        if isinstance(exc, httpx.HTTPError):
            return LLMError(f"The connection to Ollama at {self.host} failed: {type(exc).__name__}: {exc}")
        if isinstance(exc, LLMError | asyncio.CancelledError):
            return exc
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
        )
    return _default
