"""Files against real server processes, as they stream: a download's memory, chunked uploads, hostile names, and a
WebSocket run that keeps streaming while a large upload is written on the same server."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.client import connect, new_session, rest
from tests.e2e.test_files_e2e import MB, Multipart, folder, memory_kb, socket_to
from tests.fakes.fake_ollama import script


def reset_peak(pid: int) -> None:
    """Start VmHWM afresh from the current RSS (Linux: `5` in clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def test_a_50_mb_download_streams_without_growing_the_server(live):
    sid = new_session(live.url)
    pid = live.processes["front-1"].pid
    body = Multipart("big.txt", 50 * MB)
    with rest(live.url) as api:
        stored = api.post(f"/sessions/{sid}/files", content=body.chunks(), headers=body.headers(declare_length=True))
        assert stored.status_code == 201, stored.text
        reset_peak(pid)
        before = memory_kb(pid)
        received, first_byte = 0, None
        with api.stream("GET", f"/sessions/{sid}/files/big.txt") as response:
            assert response.status_code == 200
            assert response.headers["content-length"] == str(50 * MB)
            assert response.headers["content-disposition"] == 'inline; filename="big.txt"'
            assert response.headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in response.headers["content-security-policy"]
            for chunk in response.iter_bytes():
                if first_byte is None:
                    first_byte = memory_kb(pid)
                received += len(chunk)
        after = memory_kb(pid)
        assert api.delete(f"/sessions/{sid}").status_code == 204
    growth_mb = (after["VmHWM"] - before["VmRSS"]) / 1024
    at_first_byte_mb = (first_byte["VmRSS"] - before["VmRSS"]) / 1024
    print(
        f"\n50 MB download from front-1: RSS before {before['VmRSS'] // 1024} MB, "
        f"+{at_first_byte_mb:.1f} MB at the first byte, peak during the download +{growth_mb:.1f} MB"
    )
    assert received == 50 * MB
    assert growth_mb < 15, f"the server grew by {growth_mb:.0f} MB while serving a 50 MB file"


def test_a_chunked_upload_without_a_length_is_stored_whole(live):
    sid = new_session(live.url)
    body = Multipart("chunked.txt", 3 * MB + 17)
    with rest(live.url) as api:
        answer = api.post(f"/sessions/{sid}/files", content=body.chunks(), headers=body.headers(declare_length=False))
        assert answer.status_code == 201, answer.text
        assert answer.json()["name"] == "chunked.txt" and answer.json()["size"] == 3 * MB + 17
        download = api.get(f"/sessions/{sid}/files/chunked.txt")
    assert download.content == b"".join(body.chunks())[len(body.head) : -len(body.tail)]
    assert (folder(live, sid) / "chunked.txt").stat().st_size == 3 * MB + 17


def test_a_240_character_extension_is_stored_under_a_safe_name(live):
    sid = new_session(live.url)
    with rest(live.url) as api:
        answer = api.post(f"/sessions/{sid}/files", files={"file": ("report." + "x" * 240, b"data")})
        assert answer.status_code == 201, answer.text
        name = answer.json()["name"]
        assert name.startswith("report.") and len(name) <= 150
        assert api.get(f"/sessions/{sid}/files/{name}").content == b"data"


def longest_gap(stamps: list[float]) -> float:
    return max(b - a for a, b in zip(stamps, stamps[1:], strict=False))


def busy_run() -> str:
    """A run that streams and calls a tool that reads the database, turn after turn (as agents do)."""
    todo = {"name": "todo", "arguments": {"action": "list"}}
    words = " ".join(f"w{i}" for i in range(20))
    turns = [{"content": words, "delay": 0.015, "tool_calls": [todo]}] * 19
    return "work " + script(*turns, {"content": " ".join(f"end{i}" for i in range(600)), "delay": 0.015})


async def stream_during_uploads(live, *, uploads: int, upload_mb: int) -> tuple[float, float]:
    """(longest gap between the run's events while the uploads were sent and written, the uploads' seconds)."""
    sid, target = new_session(live.url), new_session(live.url)
    ws = await connect(live.ws_url(live.url, sid))
    await ws.next()
    await ws.message(busy_run())
    await ws.until("stream_delta")
    body = Multipart("while-streaming.txt", upload_mb * MB)

    def send_upload() -> float:
        started = time.monotonic()
        with httpx.Client(base_url=live.url, timeout=120) as api:
            answer = api.post(
                f"/sessions/{target}/files", content=body.chunks(), headers=body.headers(declare_length=True)
            )
        assert answer.status_code == 201, answer.text
        return time.monotonic() - started

    sending = asyncio.gather(*(asyncio.to_thread(send_upload) for _ in range(uploads)))
    stamps = [time.monotonic()]
    while not sending.done():
        event = await ws.next(timeout=30)
        assert event["type"] != "stream_end", "the run ended before the uploads did: make it longer"
        if event["type"] in ("stream_delta", "tool_started", "tool_call"):
            stamps.append(time.monotonic())
    seconds = max(await sending)
    with rest(live.url) as api:  # what was to be seen is seen: the rest of the run would only add seconds
        assert api.post(f"/sessions/{sid}/stop").json() == {"ok": True}
        await ws.until("stream_stopped", timeout=60)
        api.delete(f"/sessions/{target}")
    await ws.close()
    return longest_gap(stamps), seconds


@pytest.mark.asyncio
async def test_a_websocket_run_keeps_streaming_while_large_uploads_are_written(live):
    quiet, _ = await stream_during_uploads(live, uploads=1, upload_mb=1)
    loaded, seconds = await stream_during_uploads(live, uploads=3, upload_mb=150)
    print(
        f"\nlongest gap between a run's events: {quiet * 1000:.0f} ms beside a 1 MB upload, "
        f"{loaded * 1000:.0f} ms beside three 150 MB uploads at once ({seconds:.1f} s)"
    )
    assert loaded < 1.0, f"the run stalled {loaded:.2f} s while large uploads were written"


def upload_big(live, sid: str, name: str, size: int) -> None:
    body = Multipart(name, size)
    with rest(live.url) as api:
        stored = api.post(f"/sessions/{sid}/files", content=body.chunks(), headers=body.headers(declare_length=True))
    assert stored.status_code == 201, stored.text


def test_a_slow_reader_does_not_make_the_server_hold_the_file(live):
    """daphne's send() returns at once: without back-pressure a slow client's download piles up in its buffer."""
    sid = new_session(live.url)
    pid = live.processes["front-1"].pid
    upload_big(live, sid, "slow.txt", 50 * MB)
    reset_peak(pid)
    before = memory_kb(pid)
    with socket_to(live.url) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(f"GET /sessions/{sid}/files/slow.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        received, started = 0, time.monotonic()
        while time.monotonic() - started < 4:  # about 6 MB a second
            received += len(sock.recv(65536))
            time.sleep(0.01)
        during = memory_kb(pid)
    growth = (during["VmHWM"] - before["VmRSS"]) / 1024
    print(f"\nslow reader: {received / MB:.0f} MB of 50 read in 4 s; the server's peak +{growth:.1f} MB")
    assert 0 < received < 50 * MB  # still reading when measured
    assert growth < 15, f"the server grew by {growth:.0f} MB while a slow client downloaded 50 MB"
    with rest(live.url) as api:  # the next request is served as usual after the client went away
        assert api.get(f"/sessions/{sid}").status_code == 200
        assert api.delete(f"/sessions/{sid}").status_code == 204
