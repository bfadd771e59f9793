"""web_search: results from a search backend, kept off the event loop, and a clear failure without network."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from agents_app.engine.tools import ToolError, ToolRegistry
from agents_app.engine.tools.web_search import make_web_search_tool, web_search_tool
from tests.agents_app.engine.helpers import collect, make_input
from tests.fakes.scripted_llm import ScriptedLLM, Turn

pytestmark = pytest.mark.asyncio


async def call(tool, args: dict) -> str:
    return await tool.run(args, None)


async def test_results_are_numbered_with_title_url_and_snippet():
    asked = []

    def backend(query: str, max_results: int) -> list[dict]:
        asked.append((query, max_results, threading.current_thread().name))
        return [
            {"title": "Moon - Wikipedia", "href": "https://en.wikipedia.org/wiki/Moon", "body": "The Moon is  Earth's"},
            {"title": "NASA Moon", "href": "https://moon.nasa.gov/", "body": "Explore the Moon."},
            {"title": "extra", "href": "https://x.example/", "body": "not asked for"},
        ]

    text = await call(make_web_search_tool(backend), {"query": "  the moon ", "max_results": 2})
    assert text == (
        "1. Moon - Wikipedia\n   https://en.wikipedia.org/wiki/Moon\n   The Moon is Earth's\n"
        "2. NASA Moon\n   https://moon.nasa.gov/\n   Explore the Moon."
    )
    query, count, thread = asked[0]
    assert (query, count) == ("the moon", 2) and thread.startswith("web_search")  # not the event loop's thread


async def test_no_results_and_bad_arguments():
    tool = make_web_search_tool(lambda q, n: [])
    assert await call(tool, {"query": "zzqx"}) == "No results for 'zzqx'."
    with pytest.raises(ToolError, match="`query` is required"):
        await call(tool, {"query": " "})
    with pytest.raises(ToolError, match="`max_results` must be a whole number"):
        await call(tool, {"query": "x", "max_results": "many"})


async def test_a_hung_search_fails_in_time_without_blocking_the_event_loop():
    release = threading.Event()

    def hung(query: str, max_results: int) -> list[dict]:
        release.wait(10)  # a blocking call that does not return
        return []

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    beat = asyncio.create_task(ticker())
    started = time.monotonic()
    try:
        with pytest.raises(ToolError, match=r"got no answer within 0.6 s; the server may have no internet access"):
            await call(make_web_search_tool(hung, limit=0.6), {"query": "anything"})
    finally:
        release.set()
        beat.cancel()
    assert 0.5 < time.monotonic() - started < 2
    assert ticks >= 6  # the loop kept running while the search hung


async def test_without_network_the_real_search_fails_within_15_seconds_with_a_clear_message():
    # This machine has no route to DuckDuckGo: the real ddgs backend must give up quickly and say why.
    llm = ScriptedLLM([Turn(tool_calls=[("web_search", {"query": "weather in moscow"})]), Turn(content=["Sorry."])])
    started = time.monotonic()
    events, records = await collect(make_input(tools=["web_search"]), llm, registry=ToolRegistry([web_search_tool]))
    assert time.monotonic() - started < 15
    call_event = next(e for e in events if e["type"] == "tool_call")
    assert call_event["success"] is False
    assert call_event["result"].startswith("Error: the web search ")
    assert "the server may have no internet access" in call_event["result"]
    assert events[-1]["type"] == "stream_end" and records[1].content == call_event["result"]
