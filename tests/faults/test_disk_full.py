"""The disk full on upload: session files on a 4 MB tmpfs, a 6 MB upload while a run streams."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest

from tests.e2e.client import new_session
from tests.e2e.services import SmallDisk
from tests.faults.watch import SLOW_WORDS, all_told, session_is_usable, streaming

pytestmark = pytest.mark.asyncio


async def test_an_upload_that_fills_the_disk_is_refused_cleanly_and_leaves_the_session_working(fault_servers):
    disk = SmallDisk(size_mb=4)
    try:
        servers = fault_servers(extra_env={"NAVI_SESSION_FILES_DIR": str(disk.path)})
    except BaseException:
        disk.destroy()
        raise
    servers.cleanups.append(disk.destroy)
    sid = new_session(servers.url)
    sockets = await streaming(servers, sid)
    empty = disk.free_bytes()
    async with httpx.AsyncClient(base_url=servers.url, timeout=60) as api:
        big = os.urandom(6 * 1024 * 1024)
        refused = await api.post(f"/sessions/{sid}/files", files={"file": ("big.dat", big)})
        # Insufficient storage (or too large for what is left): never a bare 500, always the JSON error shape.
        assert refused.status_code in (413, 507), refused.text
        body = refused.json()
        assert body["error"] and body["detail"] == body["error"]
        assert disk.used_bytes() == 0 and disk.free_bytes() == empty  # no partial file left behind
        small = await api.post(f"/sessions/{sid}/files", files={"file": ("note.txt", b"still room for this")})
        assert small.status_code == 201, small.text
        download = await api.get(f"/sessions/{sid}/files/{small.json()['name']}")
        assert download.content == b"still room for this"
    ends = await all_told(sockets)
    assert all(end is not None and (end["type"], end.get("content")) == ("stream_end", SLOW_WORDS) for end in ends)
    await asyncio.gather(*(ws.close() for ws in sockets))
    await session_is_usable(servers, sid)
