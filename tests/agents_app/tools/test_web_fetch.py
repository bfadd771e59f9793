"""web_fetch: readable text from a page, size caps, and refusal of every address outside the public internet."""

from __future__ import annotations

import ssl
import subprocess
import time

import pytest

from agents_app.engine.tools import ToolError, ToolRegistry
from agents_app.engine.tools.address_guard import AddressGuard
from agents_app.engine.tools.web_fetch import fetch_page, make_web_fetch_tool, render, web_fetch_tool
from tests.agents_app.engine.helpers import collect, make_input
from tests.agents_app.tools.pages import PageServer
from tests.fakes.scripted_llm import ScriptedLLM, Turn

pytestmark = pytest.mark.asyncio

ARTICLE = """<!doctype html><html><head><title>Moon  facts</title><style>body {color: red}</style>
<script>alert('tracking')</script></head><body><nav><ul><li>Home</li><li>About</li></ul></nav>
<h1>The Moon</h1><p>The Moon is Earth&#39;s only natural satellite.</p><p>It is   about 384,400&nbsp;km away.</p>
<noscript>Enable JS</noscript></body></html>"""


@pytest.fixture
def site():
    with PageServer() as server:
        yield server


def local_guard(resolver=None) -> AddressGuard:
    """The production guard with one exception: this machine's 127.0.0.1, where the test pages are served."""
    if resolver is None:
        return AddressGuard.allowing(["127.0.0.1/32"])
    return AddressGuard.allowing(["127.0.0.1/32"], resolver=resolver)


def table_resolver(table: dict[str, str]):
    """DNS for made-up public names; anything else is not found."""

    async def resolve(host: str, port: int) -> list[str]:
        if host.replace(".", "").isdigit():
            return [host]
        if host not in table:
            raise OSError(f"unknown host {host}")
        return [table[host]]

    return resolve


async def test_a_page_comes_back_as_its_title_and_visible_text(site):
    site.page("/moon", ARTICLE)
    page = await fetch_page(site.url("/moon"), local_guard())
    text = render(page)
    assert text.startswith(f"URL: {site.url('/moon')}\n\n# Moon facts\n")
    assert "The Moon is Earth's only natural satellite." in text
    assert "It is about 384,400 km away." in text
    assert "- Home" in text
    assert "alert" not in text and "color: red" not in text and "Enable JS" not in text and "<p>" not in text


async def test_plain_text_and_json_come_back_as_they_are(site):
    site.page("/notes.txt", "line one\nline two", "text/plain")
    site.page("/data", '{"a": 1}', "application/json")
    assert (await fetch_page(site.url("/notes.txt"), local_guard())).text == "line one\nline two"
    assert (await fetch_page(site.url("/data"), local_guard())).text == '{"a": 1}'


async def test_a_big_page_is_read_only_up_to_the_cap_and_marked_truncated(site):
    site.page("/big", "<p>" + "word " * 100_000 + "</p>")
    page = await fetch_page(site.url("/big"), local_guard(), max_bytes=10_000)
    assert page.truncated and len(page.text) <= 10_000
    text = render(page, max_chars=500)
    assert "[truncated: only the first 500 characters of the page are shown]" in text
    assert len(text) < 700


async def test_binary_content_and_http_errors_are_failures_with_a_reason(site):
    site.page("/photo", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")
    site.page("/gone", "<p>Not here any more</p>", status=410)
    with pytest.raises(ToolError, match="'image/png', which is not a readable page"):
        await fetch_page(site.url("/photo"), local_guard())
    with pytest.raises(ToolError, match="answered HTTP 410: Not here any more"):
        await fetch_page(site.url("/gone"), local_guard())


async def test_the_connection_goes_to_the_checked_address_under_the_original_host_name(site):
    # The name is resolved once, by the guard; the request then goes to that address, so a second, different
    # DNS answer (rebinding) never gets a say.
    site.page("/", "<p>pinned</p>")
    guard = local_guard(table_resolver({"news.example.com": "127.0.0.1"}))
    page = await fetch_page(f"http://news.example.com:{site.port}/", guard)
    assert page.text == "pinned"
    assert site.requests == [{"path": "/", "host": f"news.example.com:{site.port}"}]


HOSTILE = [
    ("file:///etc/passwd", "only http:// and https://"),
    ("ftp://ftp.example.com/file", "only http:// and https://"),
    ("gopher://127.0.0.1:70/", "only http:// and https://"),
    ("javascript:alert(1)", "only http:// and https://"),
    ("http:///nohost", "no host name"),
    ("http://127.0.0.1:{port}/", "resolves to 127.0.0.1"),
    ("http://localhost:{port}/", "'localhost' resolves to"),
    ("http://[::1]:{port}/", "resolves to ::1"),
    ("http://10.1.2.3/", "resolves to 10.1.2.3"),
    ("http://172.16.5.4/", "resolves to 172.16.5.4"),
    ("http://192.168.0.1/admin", "resolves to 192.168.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "resolves to 169.254.169.254"),
    ("http://[fd00:ec2::254]/", "resolves to fd00:ec2::254"),
    ("http://100.100.100.200/", "resolves to 100.100.100.200"),  # a cloud metadata service (shared range)
    ("http://0.0.0.0:{port}/", "resolves to 0.0.0.0"),
    ("http://2130706433:{port}/", "resolves to 127.0.0.1"),  # decimal 127.0.0.1
    ("http://0x7f000001:{port}/", "resolves to 127.0.0.1"),  # hexadecimal
    ("http://0177.0.0.1:{port}/", "resolves to 127.0.0.1"),  # octal
    ("http://0x7f.1:{port}/", "resolves to 127.0.0.1"),  # short form
    ("http://[::ffff:127.0.0.1]:{port}/", "resolves to ::ffff:7f00:1"),  # IPv6-mapped IPv4
    ("http://[::ffff:a9fe:a9fe]/", "resolves to ::ffff:a9fe:a9fe"),  # mapped 169.254.169.254
    ("http://[fe80::1]/", "resolves to fe80::1"),
    ("http://[2002:7f00:1::1]/", "resolves to 2002:7f00:1::1"),  # 6to4 around 127.0.0.1
    ("http://[64:ff9b::a9fe:a9fe]/", "resolves to 64:ff9b::a9fe:a9fe"),  # NAT64 around 169.254.169.254
    ("http://user:pw@127.0.0.1:{port}/", "resolves to 127.0.0.1"),
    ("https://127.0.0.1:{port}/", "resolves to 127.0.0.1"),
]


@pytest.mark.parametrize(("url", "reason"), HOSTILE, ids=[u for u, _ in HOSTILE])
async def test_hostile_addresses_are_refused_before_any_connection(site, url, reason):
    url = url.format(port=site.port)
    started = time.monotonic()
    with pytest.raises(ToolError) as refused:
        await fetch_page(url, AddressGuard())
    assert str(refused.value).startswith(f"refused to fetch {url}")
    assert reason in str(refused.value)
    assert time.monotonic() - started < 2
    assert site.requests == []  # nothing reached the local server


async def test_a_redirect_from_a_public_looking_server_to_a_private_address_is_refused(site):
    guard = local_guard(table_resolver({"news.example.com": "127.0.0.1", "intranet.example.com": "10.0.0.7"}))
    with PageServer("127.0.0.2") as internal:  # loopback, but not the one address this guard lets through
        internal.page("/secret", "<p>internal secrets</p>")
        site.redirect("/to-loopback", internal.url("/secret"))
        site.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/iam/")
        site.redirect("/to-intranet", "http://intranet.example.com/")
        site.redirect("/to-file", "file:///etc/passwd")
        site.redirect("/hop", "/to-loopback", status=301)  # relative, then on to the private address
        base = f"http://news.example.com:{site.port}"
        for path, reason in [
            ("/to-loopback", "'127.0.0.2' resolves to 127.0.0.2"),
            ("/to-metadata", "resolves to 169.254.169.254"),
            ("/to-intranet", "resolves to 10.0.0.7"),
            ("/to-file", "only http:// and https://"),
            ("/hop", "'127.0.0.2' resolves to 127.0.0.2"),
        ]:
            with pytest.raises(ToolError) as refused:
                await fetch_page(base + path, guard)
            assert f"(redirected from {base}{path})" in str(refused.value) and reason in str(refused.value)
        assert internal.requests == []


async def test_redirects_between_allowed_pages_are_followed_but_not_forever(site):
    site.redirect("/old", "/new", status=301)
    site.page("/new", "<p>moved here</p>")
    site.redirect("/loop", "/loop")
    page = await fetch_page(site.url("/old"), local_guard())
    assert page.text == "moved here" and page.url == site.url("/new")
    with pytest.raises(ToolError, match="redirected more than 5 times"):
        await fetch_page(site.url("/loop"), local_guard())


async def test_in_a_run_a_refusal_is_a_failed_tool_call_and_the_run_goes_on(site):
    site.page("/", "<p>hello from the page</p>")
    llm = ScriptedLLM(
        [
            Turn(tool_calls=[("web_fetch", {"url": "http://169.254.169.254/"}), ("web_fetch", {"url": site.url()})]),
            Turn(content=["Could not read it."]),
        ]
    )
    registry = ToolRegistry([web_fetch_tool])
    events, _ = await collect(make_input(tools=["web_fetch"]), llm, registry=registry)
    calls = [e for e in events if e["type"] == "tool_call"]
    assert [c["success"] for c in calls] == [False, False]
    assert calls[0]["result"].startswith("Error: refused to fetch http://169.254.169.254/")
    assert "resolves to 127.0.0.1" in calls[1]["result"]
    assert events[-1]["type"] == "stream_end" and site.requests == []

    # The same tool with a guard that admits the test server reads the page.
    llm = ScriptedLLM([Turn(tool_calls=[("web_fetch", {"url": site.url()})]), Turn(content=["ok"])])
    registry = ToolRegistry([make_web_fetch_tool(local_guard())])
    events, _ = await collect(make_input(tools=["web_fetch"]), llm, registry=registry)
    call = next(e for e in events if e["type"] == "tool_call")
    assert call["success"] and call["result"] == f"URL: {site.url()}\n\nhello from the page"


async def test_a_missing_url_is_a_failure_that_says_what_is_needed():
    llm = ScriptedLLM([Turn(tool_calls=[("web_fetch", {})]), Turn(content=["ok"])])
    events, _ = await collect(make_input(tools=["web_fetch"]), llm, registry=ToolRegistry([web_fetch_tool]))
    call = next(e for e in events if e["type"] == "tool_call")
    assert call == {**call, "success": False, "result": "Error: `url` is required: an http:// or https:// address"}


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for secure.example.com."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=secure.example.com", "-addext", "subjectAltName=DNS:secure.example.com"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_goes_to_the_checked_address_and_verifies_the_certificate_for_the_host_name(certificate):
    cert, key = certificate
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    trust = ssl.create_default_context(cafile=str(cert))
    guard = local_guard(table_resolver({"secure.example.com": "127.0.0.1", "impostor.example.com": "127.0.0.1"}))
    with PageServer(tls=server_tls) as secure:
        secure.page("/", "<p>over TLS</p>")
        page = await fetch_page(f"https://secure.example.com:{secure.port}/", guard, verify=trust)
        assert page.text == "over TLS"
        assert secure.requests == [{"path": "/", "host": f"secure.example.com:{secure.port}"}]
        # Same address, other name: the certificate is checked against the name, not the pinned address.
        with pytest.raises(ToolError, match="could not fetch https://impostor.example.com:.*ConnectError"):
            await fetch_page(f"https://impostor.example.com:{secure.port}/", guard, verify=trust)


async def test_a_name_with_any_private_address_among_its_answers_is_refused():
    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.1"]

    with pytest.raises(ToolError, match="'mixed.example.com' resolves to 10.0.0.1"):
        await fetch_page("http://mixed.example.com/", AddressGuard(resolver=mixed))
