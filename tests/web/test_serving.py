"""The page and its files come from the server itself, uncached, and nothing is loaded from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e.client import rest
from tests.web.pages import open_new_session, script, send, wait_idle

ROOT = Path(__file__).resolve().parents[2]


def test_the_page_and_its_files_are_served_uncached(live):
    with rest(live.url) as http:
        page = http.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
        assert "/static/js/app.js" in assets and "/static/css/app.css" in assets
        for path in [
            *assets,
            "/static/js/chat.js",
            "/static/vendor/marked/marked.esm.js",
            "/static/vendor/dompurify/purify.es.mjs",
        ]:
            response = http.get(path)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "no-store", path
        assert http.get("/static/js/app.js").headers["content-type"].startswith("text/javascript")
        head = http.head("/static/css/app.css")
        assert head.status_code == 200 and head.headers["cache-control"] == "no-store" and not head.content
        assert http.get("/static/../navi_project/settings.py").status_code == 404


def test_vendored_libraries_are_recorded_with_their_licences():
    vendor = ROOT / "static" / "vendor"
    record = (vendor / "VENDORED.md").read_text()
    for library, licence in [("marked", "marked/LICENSE"), ("DOMPurify", "dompurify/LICENSE")]:
        assert re.search(rf"{library}\]\(https://www\.npmjs\.com/package/\w+\).*\| \d+\.\d+\.\d+ \|", record), library
        assert (vendor / licence).is_file() and (vendor / licence).stat().st_size > 500


def test_nothing_is_loaded_from_outside_the_server(page, live):
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    open_new_session(page, live.url)
    send(page, "Links " + script({"content": "![pic](https://example.com/p.png) and [a link](https://example.com)"}))
    wait_idle(page)
    # The remote image is offered as a link, not fetched.
    expect(page.locator(".answer img")).to_have_count(0)
    expect(page.locator(".answer a.remote-image")).to_have_text("Image: pic")
    expect(page.locator(".answer a")).to_have_count(2)
    origins = {urlsplit(url).netloc for url in urls if not url.startswith(("data:", "about:"))}
    assert origins == {urlsplit(live.url).netloc}, origins
