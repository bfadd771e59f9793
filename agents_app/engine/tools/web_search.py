"""`web_search`: DuckDuckGo results through `ddgs`.

`ddgs` is synchronous, so each search runs in a worker thread of its own pool (a hung search never blocks the
event loop nor the loop's default executor) and is abandoned after SEARCH_LIMIT seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from agents_app.engine.tools.base import Tool, ToolContext, ToolError

SEARCH_LIMIT = 12.0  # seconds; below the tool's timeout so the model gets this message, not a bare timeout
DEFAULT_RESULTS = 5
MAX_RESULTS = 10

Search = Callable[[str, int], list[dict]]  # (query, max_results) -> [{"title", "href", "body"}], blocking

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="web_search")


def ddgs_search(query: str, max_results: int) -> list[dict]:
    from ddgs import DDGS

    return DDGS(timeout=int(SEARCH_LIMIT) - 2).text(query, max_results=max_results, backend="duckduckgo")


def _format(results: list[dict]) -> str:
    lines = []
    for number, hit in enumerate(results, 1):
        title = (hit.get("title") or "").strip() or "(no title)"
        url = (hit.get("href") or hit.get("url") or "").strip()
        body = " ".join((hit.get("body") or "").split())
        lines.append(f"{number}. {title}\n   {url}\n   {body}".rstrip())
    return "\n".join(lines)


def _max_results(args: dict) -> int:
    value = args.get("max_results", DEFAULT_RESULTS)
    if isinstance(value, bool) or not isinstance(value, int | float | str) or not str(value).strip().isdigit():
        raise ToolError("`max_results` must be a whole number from 1 to 10")
    return max(1, min(MAX_RESULTS, int(value)))


def make_web_search_tool(search: Search = ddgs_search, *, limit: float = SEARCH_LIMIT) -> Tool:
    async def run_web_search(args: dict, ctx: ToolContext) -> str:
        query = args.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ToolError("`query` is required: the words to search for")
        count = _max_results(args)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(_pool, search, query.strip(), count)
        try:
            results = await asyncio.wait_for(future, timeout=limit)
        except TimeoutError:
            raise ToolError(
                f"the web search got no answer within {limit:g} s; the server may have no internet access"
            ) from None
        except Exception as exc:  # ddgs wraps network trouble in its own exceptions
            raise ToolError(
                f"the web search failed ({type(exc).__name__}: {str(exc)[:300]}); "
                "the server may have no internet access"
            ) from None
        if not results:
            return f"No results for {query.strip()!r}."
        return _format(results[:count])

    return Tool(
        name="web_search",
        description="Search the web using DuckDuckGo. Returns titles, URLs and snippets of the top results.",
        parameters={
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What to search for"},
                "max_results": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_RESULTS,
                    "description": f"How many results (default {DEFAULT_RESULTS})",
                },
            },
            "required": ["query"],
        },
        run=run_web_search,
        timeout=15.0,
    )


web_search_tool = make_web_search_tool()
