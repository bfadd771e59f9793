"""`web_fetch`: a web page as readable text, size-capped, from public addresses only.

Redirects are followed by hand so that every hop passes the AddressGuard; each connection goes to the address
the guard checked, with the original host name kept for the Host header and TLS.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from agents_app.engine.tools.address_guard import AddressGuard, AddressRefused, Target
from agents_app.engine.tools.base import Tool, ToolContext, ToolError
from agents_app.engine.tools.html_text import html_to_text

MAX_BYTES = 2_000_000  # read at most this much of a response body
MAX_CHARS = 20_000  # of text handed to the model
MAX_REDIRECTS = 5
HTTP_TIMEOUT = 15.0
_REDIRECTS = {301, 302, 303, 307, 308}
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Page:
    url: str
    status: int
    content_type: str
    text: str
    truncated: bool


def _pinned(target: Target) -> tuple[str, dict, dict]:
    """The URL to request (host replaced by the checked address), its headers and request extensions."""
    parts = urlsplit(target.url)
    ip = f"[{target.address}]" if target.address.version == 6 else str(target.address)
    url = urlunsplit((target.scheme, f"{ip}:{target.port}", parts.path or "/", parts.query, ""))
    default_port = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    headers = {
        "Host": host if target.port == default_port else f"{host}:{target.port}",
        "User-Agent": "Navi/1.0 (+web_fetch)",
        "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return url, headers, extensions


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk)
        if len(body) > limit:
            return bytes(body[:limit]), True
    return bytes(body), False


def _as_text(body: bytes, content_type: str, charset: str | None) -> str:
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = body.decode("utf-8", errors="replace")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind.startswith(_HTML_TYPES) or (not kind and text.lstrip()[:1] == "<"):
        return html_to_text(text)
    if kind.startswith(_TEXT_TYPES) or kind.endswith(("+json", "+xml")) or not kind:
        return text.strip()
    raise ToolError(f"the address answered with {kind!r}, which is not a readable page")


async def fetch_page(
    url: str, guard: AddressGuard, *, max_bytes: int = MAX_BYTES, verify: ssl.SSLContext | bool = True
) -> Page:
    """GET `url` (following checked redirects). Raises ToolError with a reason the model can act on.

    `verify`: how TLS certificates are checked (the system's CAs by default), always against the URL's host name.
    """
    current = url
    client = httpx.AsyncClient(follow_redirects=False, timeout=HTTP_TIMEOUT, trust_env=False, verify=verify)
    async with client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                target = await guard.check(current)
            except AddressRefused as exc:
                where = "" if current == url else f" (redirected from {url})"
                raise ToolError(f"refused to fetch {current}{where}: {exc}") from None
            pinned, headers, extensions = _pinned(target)
            try:
                request = client.build_request("GET", pinned, headers=headers, extensions=extensions)
                response = await client.send(request, stream=True)
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        current = urljoin(current, location)
                        continue
                    body, truncated = await _read_capped(response, max_bytes)
                finally:
                    await response.aclose()
            except httpx.HTTPError as exc:
                raise ToolError(f"could not fetch {current}: {type(exc).__name__}: {exc or 'no details'}") from None
            content_type = response.headers.get("content-type", "")
            text = _as_text(body, content_type, response.charset_encoding)
            if response.status_code >= 400:
                raise ToolError(f"{current} answered HTTP {response.status_code}: {text[:500]}")
            return Page(current, response.status_code, content_type, text, truncated)
    raise ToolError(f"{url} redirected more than {MAX_REDIRECTS} times")


def render(page: Page, max_chars: int = MAX_CHARS) -> str:
    text = page.text
    cut = page.truncated or len(text) > max_chars
    if len(text) > max_chars:
        text = text[:max_chars]
    note = f"\n\n[truncated: only the first {len(text)} characters of the page are shown]" if cut else ""
    return f"URL: {page.url}\n\n{text or '(the page has no readable text)'}{note}"


def make_web_fetch_tool(guard: AddressGuard) -> Tool:
    async def run_web_fetch(args: dict, ctx: ToolContext) -> str:
        url = args.get("url")
        if not isinstance(url, str) or not url.strip():
            raise ToolError("`url` is required: an http:// or https:// address")
        return render(await fetch_page(url.strip(), guard))

    return Tool(
        name="web_fetch",
        description=(
            "Fetch a web page by its http(s) URL and return its readable text (truncated when long). "
            "Only public internet addresses can be fetched."
        ),
        parameters={
            "type": "object",
            "properties": {"url": {"type": "string", "description": "The page's http:// or https:// URL"}},
            "required": ["url"],
        },
        run=run_web_fetch,
        timeout=30.0,
    )


web_fetch_tool = make_web_fetch_tool(AddressGuard())
