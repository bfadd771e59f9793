"""Session files against real server processes: multipart uploads over HTTP, downloads, attachments over the
WebSocket reaching the model and the agent's filesystem tool, deletion, the cleanup command, and memory while a
200 MB upload streams."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.client import connect, new_session, rest
from tests.e2e.servers import ROOT
from tests.fakes.fake_ollama import script

MB = 1024 * 1024
LIMIT = 200 * MB  # NAVI_MAX_UPLOAD_MB's default, which the servers run with
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64))


def folder(live, sid: str) -> Path:
    return Path(live.env["NAVI_DATA_DIR"]) / "session_files" / sid


def upload(api: httpx.Client, sid: str, name: str, data: bytes, content_type: str = "application/octet-stream"):
    return api.post(f"/sessions/{sid}/files", files={"file": (name, data, content_type)})


class Multipart:
    """A multipart body with one `file` field of `size` bytes, generated as it is sent (never whole in memory)."""

    boundary = "navi-test-boundary-7f3a"

    def __init__(self, name: str, size: int) -> None:
        self.size = size
        self.head = (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def length(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def chunks(self):
        yield self.head
        block = b"navi" * (MB // 4)
        left = self.size
        while left > 0:
            yield block[: min(left, MB)]
            left -= MB
        yield self.tail

    def headers(self, *, declare_length: bool) -> dict:
        headers = {"Content-Type": f"multipart/form-data; boundary={self.boundary}"}
        if declare_length:
            headers["Content-Length"] = str(self.length)
        return headers


def chat_requests(fake, user_text: str) -> list[dict]:
    """The model requests whose last user message starts with `user_text`, in order."""
    found = []
    for request in fake.requests():
        users = [m for m in request.get("messages", []) if m["role"] == "user"]
        if users and users[-1]["content"].startswith(user_text):
            found.append(request)
    return found


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start) of a process, in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def test_uploads_answer_201_number_collisions_and_download_the_same_bytes(live):
    sid = new_session(live.url)
    with rest(live.url) as api:
        first = upload(api, sid, "report.pdf", b"%PDF-1.7 first", "application/pdf")
        assert first.status_code == 201
        assert first.json() == {
            "name": "report.pdf",
            "size": 14,
            "path": f"session_files/{sid}/report.pdf",
            "content_type": "application/pdf",
        }
        names = [upload(api, sid, "report.pdf", f"copy {i}".encode()).json()["name"] for i in range(2)]
        assert names == ["report_1.pdf", "report_2.pdf"]
        assert api.get(f"/sessions/{sid}/files/report.pdf").content == b"%PDF-1.7 first"
        assert api.get(f"/sessions/{sid}/files/report_2.pdf").content == b"copy 1"
        accented = upload(api, sid, "Résumé 2024 (final).txt", b"CV").json()
        assert accented["name"] == "Résumé 2024 (final).txt"
        assert api.get(f"/sessions/{sid}/files/{quote(accented['name'])}").content == b"CV"
    assert sorted(p.name for p in folder(live, sid).iterdir()) == [
        "Résumé 2024 (final).txt", "report.pdf", "report_1.pdf", "report_2.pdf"
    ]  # fmt: skip


def test_blocked_and_hostile_names(live):
    sid = new_session(live.url)
    with rest(live.url) as api:
        for name in ["setup.exe", "INSTALL.BAT", "report.pdf.Sh", "lib.so", "script.ps1", "../../evil.exe"]:
            refused = upload(api, sid, name, b"MZ...")
            assert refused.status_code == 400, name
            assert "not accepted" in refused.json()["detail"]
        renamed = {
            "../../../etc/passwd": "passwd",
            "..\\..\\Windows\\win.ini": "win.ini",
            ".htaccess": "htaccess",
            "<img src=x onerror=alert(1)>.txt": "_img src=x onerror=alert(1)_.txt",
            "...": "file",
        }
        for hostile, safe in renamed.items():
            answer = upload(api, sid, hostile, b"x")
            assert answer.status_code == 201, hostile
            assert answer.json()["name"] == safe and answer.json()["path"] == f"session_files/{sid}/{safe}"
        assert upload(api, str(uuid.uuid4()), "a.txt", b"x").status_code == 404
    stored = {p.name for p in folder(live, sid).iterdir()}
    assert stored == set(renamed.values())
    assert not (folder(live, sid).parent / "passwd").exists()


def test_download_paths_that_escape_answer_403_and_missing_ones_404(live):
    sid = new_session(live.url)
    secret = folder(live, sid).parent / "other-secret.txt"
    with rest(live.url) as api:
        upload(api, sid, "a.txt", b"mine")
        secret.write_text("TOP-SECRET")
        for path in [
            "..%2fother-secret.txt",
            "%2e%2e%2fother-secret.txt",
            "%2E%2E%2Fother-secret.txt",
            "%252e%252e%252fother-secret.txt",
            "..%5cother-secret.txt",
            "%2e%2e%5c%2e%2e%5cnavi.sqlite3",
            "a.txt%00.png",
            "%2fetc%2fpasswd",
            "../other-secret.txt",
            "sub/../../other-secret.txt",
            "..\\other-secret.txt",
        ]:
            # Over a raw socket: the path goes out exactly as written (HTTP clients would resolve the dots).
            with socket_to(live.url) as sock:
                sock.sendall(f"GET /sessions/{sid}/files/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                response = read_response(sock)
            assert response.startswith(b"HTTP/1.1 403"), (path, response[:300])
            assert b"TOP-SECRET" not in response
        assert api.get(f"/sessions/{sid}/files/nothing.txt").status_code == 404
        assert api.get(f"/sessions/{uuid.uuid4()}/files/a.txt").status_code == 404
        assert api.get(f"/sessions/{sid}/files/a.txt").content == b"mine"


@pytest.mark.parametrize(
    "name, data, content_type, disposition",
    [
        ("pixel.png", PNG, "image/png", "inline"),
        ("photo.jpeg", JPEG, "image/jpeg", "inline"),
        ("paper.pdf", b"%PDF-1.4", "application/pdf", "inline"),
        ("notes.txt", b"plain words", "text/plain", "inline"),
        ("page.html", b"<script>alert(document.cookie)</script>", "text/html", "attachment"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml", "attachment"),
        ("data.bin.zip", b"PK\x03\x04", "application/zip", "attachment"),
    ],
)
def test_images_pdfs_and_text_are_inline_everything_else_an_attachment(live, name, data, content_type, disposition):
    sid = new_session(live.url)
    with rest(live.url) as api:
        assert upload(api, sid, name, data).status_code == 201
        response = api.get(f"/sessions/{sid}/files/{name}")
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-type"].split(";")[0] == content_type
    assert response.headers["content-disposition"] == f'{disposition}; filename="{name}"'
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_declared_length_over_the_limit_is_answered_413_before_the_body_is_sent(live):
    sid = new_session(live.url)
    body = Multipart("huge.bin.txt", LIMIT + 5 * MB)
    with socket_to(live.url) as sock:
        content_type = body.headers(declare_length=False)["Content-Type"]
        head = (
            f"POST /sessions/{sid}/files HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {body.length}\r\n\r\n"
        ).encode()
        sock.sendall(head + body.head)  # the headers and a few bytes of a 205 MB body: nothing more
        started = time.monotonic()
        answer = read_response(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 5
    assert b"exceeds the 200 MB limit" in answer
    assert not folder(live, sid).exists()


def test_a_body_over_the_limit_is_answered_413_and_leaves_no_partial_file(live):
    sid = new_session(live.url)
    with rest(live.url) as api:
        for declare_length in (True, False):  # known length, and chunked (no length at all)
            body = Multipart("toolarge.txt", LIMIT + 2 * MB)
            answer = api.post(
                f"/sessions/{sid}/files", content=body.chunks(), headers=body.headers(declare_length=declare_length)
            )
            assert answer.status_code == 413, (declare_length, answer.text)
            assert answer.json()["detail"] == "The upload exceeds the 200 MB limit"
    assert not folder(live, sid).exists()


def test_memory_stays_flat_while_a_200_mb_upload_streams(live):
    sid = new_session(live.url)
    pid = live.processes["front-1"].pid
    body = Multipart("exactly-the-limit.txt", LIMIT)
    before = memory_kb(pid)
    started = time.monotonic()
    with rest(live.url) as api:
        answer = api.post(f"/sessions/{sid}/files", content=body.chunks(), headers=body.headers(declare_length=True))
    seconds = time.monotonic() - started
    after = memory_kb(pid)
    growth_mb = (after["VmHWM"] - before["VmRSS"]) / 1024
    print(
        f"\n200 MB upload to front-1 (pid {pid}) in {seconds:.1f} s: RSS before {before['VmRSS'] // 1024} MB, "
        f"RSS after {after['VmRSS'] // 1024} MB, peak (VmHWM) after {after['VmHWM'] // 1024} MB "
        f"(peak before {before['VmHWM'] // 1024} MB); peak minus RSS before: {growth_mb:.1f} MB"
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["size"] == LIMIT
    assert (folder(live, sid) / "exactly-the-limit.txt").stat().st_size == LIMIT
    assert growth_mb < 40, f"the server grew by {growth_mb:.0f} MB while a 200 MB upload streamed"
    with rest(live.url) as api:
        assert api.delete(f"/sessions/{sid}").status_code == 204  # frees the disk for the other tests
    assert not folder(live, sid).exists()


@pytest.mark.asyncio
async def test_images_reach_the_model_as_raw_base64_and_stay_in_the_history(live, fake_ollama_server):
    sid = new_session(live.url)
    png64 = base64.b64encode(PNG).decode()
    jpeg64 = base64.b64encode(JPEG).decode()
    ws = await connect(live.ws_url(live.url, sid))
    await ws.next()
    await ws.message("what is in these?", images=[f"data:image/png;base64,{png64}", jpeg64])
    await ws.until("stream_end")
    (request,) = chat_requests(fake_ollama_server, "what is in these?")
    last_user = [m for m in request["messages"] if m["role"] == "user"][-1]
    assert last_user["images"] == [png64, jpeg64]
    for bad, reason in [("bm90IGFuIGltYWdl", "not a PNG, JPEG"), ("%%%not base64", "not valid base64")]:
        await ws.message("and this?", images=[bad])
        error = await ws.until("error")
        assert reason in error[-1]["message"]
    await ws.close()
    with rest(live.url) as api:
        messages = api.get(f"/sessions/{sid}").json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["images"] == [png64, jpeg64]


@pytest.mark.asyncio
async def test_attached_files_are_named_in_the_message_and_read_by_the_agents_filesystem_tool(live, fake_ollama_server):
    sid = new_session(live.url)
    other = new_session(live.url)
    with rest(live.url) as api:
        stored = upload(api, sid, "shopping list.txt", b"eggs\nflour\nmilk").json()
        theirs = upload(api, other, "theirs.txt", b"not yours").json()
    ws = await connect(live.ws_url(live.url, sid))
    await ws.next()
    await ws.message("summarise", files=[theirs])
    assert "outside this session's files" in (await ws.until("error"))[-1]["message"]
    await ws.message("summarise", files=[{"name": "ghost.txt", "size": 1, "path": f"session_files/{sid}/ghost.txt"}])
    assert "was not uploaded" in (await ws.until("error"))[-1]["message"]

    read = {"name": "filesystem", "arguments": {"action": "read", "path": stored["path"]}}
    escape = {"name": "filesystem", "arguments": {"action": "read", "path": "../" + other + "/theirs.txt"}}
    await ws.message(
        "what do I need? " + script({"tool_calls": [read, escape]}, {"content": "Eggs, flour and milk."}),
        files=[stored],
    )
    events = await ws.until("stream_end")
    results = [e for e in events if e["type"] == "tool_call"]
    await ws.close()
    assert results[0]["success"] is True and results[0]["result"] == "eggs\nflour\nmilk"
    assert results[1]["success"] is False and "`..` is not allowed" in results[1]["result"]
    first_request, second_request = chat_requests(fake_ollama_server, "what do I need?")
    user = [m for m in first_request["messages"] if m["role"] == "user"][-1]
    assert user["content"].endswith(f"\n\nAttached files:\n- session_files/{sid}/shopping list.txt")
    assert "filesystem" in {t["function"]["name"] for t in first_request["tools"]}
    tool_messages = [m for m in second_request["messages"] if m["role"] == "tool"]
    assert tool_messages[0]["content"] == "eggs\nflour\nmilk"


def test_deleting_a_session_removes_its_files(live):
    sid = new_session(live.url)
    with rest(live.url) as api:
        upload(api, sid, "a.txt", b"1")
        upload(api, sid, "b.txt", b"2")
        assert folder(live, sid).is_dir()
        assert api.delete(f"/sessions/{sid}").status_code == 204
        assert api.get(f"/sessions/{sid}/files/a.txt").status_code == 404
        assert upload(api, sid, "c.txt", b"3").status_code == 404
    assert not folder(live, sid).exists()


def test_cleanup_command_removes_files_of_sessions_idle_past_the_retention(live):
    sid = new_session(live.url)
    with rest(live.url) as api:
        upload(api, sid, "keep-for-now.txt", b"12345")

    def cleanup(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", "cleanup_session_files", *args],
            cwd=ROOT, env=live.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert f"session {sid}" not in cleanup()  # active a moment ago: kept
    later = (datetime.now(UTC) + timedelta(hours=24, minutes=5)).isoformat()
    preview = cleanup("--dry-run", "--now", later)
    assert f"Would remove 1 file(s), 5 bytes, of session {sid} (idle)" in preview
    assert (folder(live, sid) / "keep-for-now.txt").exists()
    report = cleanup("--now", later)
    assert f"Removed 1 file(s), 5 bytes, of session {sid} (idle)" in report
    assert not folder(live, sid).exists()
    with rest(live.url) as api:
        assert api.get(f"/sessions/{sid}").status_code == 200  # the conversation itself stays


class socket_to:
    """A raw TCP connection to a base URL, to send a request's headers without its body."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.address = (host, int(port))

    def __enter__(self):
        import socket

        self.sock = socket.create_connection(self.address, timeout=10)
        return self.sock

    def __exit__(self, *exc) -> None:
        self.sock.close()


def read_response(sock) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest_ = data.partition(b"\r\n\r\n")
    headers = dict(line.partition(b":")[::2] for line in head.split(b"\r\n")[1:])
    length = int({k.lower(): v for k, v in headers.items()}.get(b"content-length", b"0"))
    while len(rest_) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest_ += chunk
    return head + b"\r\n\r\n" + rest_
