"""Session files with NAVI_STORAGE=s3, against a real S3 server process over HTTP (moto in server mode), through
django-storages: uploads, downloads, the agent's filesystem tool, deletion, the cleanup command, and an endpoint
that goes away in the middle of an upload."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import AsyncClient, Client
from django.utils import timezone

from accounts_app.services import user_get_or_create_owner
from agents_app.engine.tools import ToolContext, ToolError, ToolPorts
from agents_app.engine.tools.filesystem import filesystem_tool
from agents_app.file_store import StorageSessionFiles
from sessions_app.files import DOWNLOAD_CHUNK
from sessions_app.models import Session
from sessions_app.services.sessions import session_create
from tests.s3_server import CuttableProxy

pytestmark = pytest.mark.django_db(transaction=True)  # deleting a session removes its files on commit

MB = 1024 * 1024


@pytest.fixture
def sid() -> str:
    return str(session_create(user=user_get_or_create_owner(), profile_id="secretary").id)


def upload(sid: str, name: str, data: bytes):
    return Client().post(f"/sessions/{sid}/files", {"file": SimpleUploadedFile(name, data)})


async def download(path: str):
    response = await AsyncClient().get(path)
    if not response.streaming:
        return response, [response.content]
    return response, [chunk async for chunk in response.streaming_content]


def tool(sid: str, **args) -> str:
    ctx = ToolContext(
        user_id="1", session_id=sid, profile_id="secretary",
        ports=ToolPorts(extra={"files": StorageSessionFiles()}), emit=lambda event: None,
    )  # fmt: skip
    return async_to_sync(filesystem_tool.run)(args, ctx)


def test_uploads_land_in_the_bucket_and_download_streamed_from_it(s3_bucket, sid):
    first = upload(sid, "report.pdf", b"%PDF-1.7 first")
    assert first.status_code == 201, first.content
    assert first.json() == {
        "name": "report.pdf", "size": 14, "path": f"session_files/{sid}/report.pdf", "content_type": "application/pdf",
    }  # fmt: skip
    assert upload(sid, "report.pdf", b"second").json()["name"] == "report_1.pdf"
    large = bytes(range(256)) * (9 * MB // 256)  # past boto3's 8 MB threshold: a multipart upload
    assert upload(sid, "photo.png", large).status_code == 201
    assert s3_bucket.keys(f"session_files/{sid}/") == [
        f"session_files/{sid}/photo.png", f"session_files/{sid}/report.pdf", f"session_files/{sid}/report_1.pdf",
    ]  # fmt: skip
    assert s3_bucket.read(f"session_files/{sid}/report_1.pdf") == b"second"

    response, chunks = async_to_sync(download)(f"/sessions/{sid}/files/photo.png")
    assert response.status_code == 200 and response.is_async
    assert response["Content-Length"] == str(len(large)) and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="photo.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(chunks) == len(large) // DOWNLOAD_CHUNK and b"".join(chunks) == large
    missing, _ = async_to_sync(download)(f"/sessions/{sid}/files/nothing.txt")
    assert missing.status_code == 404


def test_the_filesystem_tool_reads_writes_and_lists_in_the_bucket(s3_bucket, sid):
    assert upload(sid, "shopping list.txt", b"eggs\nflour").status_code == 201
    assert tool(sid, action="read", path=f"session_files/{sid}/shopping list.txt") == "eggs\nflour"
    assert tool(sid, action="write", path="drafts/plan.md", content="# Plan") == (
        f"Wrote 6 bytes to session_files/{sid}/drafts/plan.md"
    )
    assert s3_bucket.read(f"session_files/{sid}/drafts/plan.md") == b"# Plan"
    tool(sid, action="write", path="drafts/plan.md", content="# Plan, replaced")
    assert tool(sid, action="read", path="drafts/plan.md") == "# Plan, replaced"
    assert tool(sid, action="list", path="") == "drafts/\nshopping list.txt (10 bytes)"
    with pytest.raises(ToolError, match="no folder 'ghost'"):
        tool(sid, action="list", path="ghost")
    with pytest.raises(ToolError, match="no file 'ghost.txt'"):
        tool(sid, action="read", path="ghost.txt")


def test_deleting_a_session_removes_its_objects_and_only_its_own(s3_bucket, sid):
    other = str(session_create(user=user_get_or_create_owner(), profile_id="secretary").id)
    upload(sid, "a.txt", b"1")
    tool(sid, action="write", path="sub/b.txt", content="2")
    upload(other, "c.txt", b"3")
    assert Client().delete(f"/sessions/{sid}").status_code == 204
    assert s3_bucket.keys(f"session_files/{sid}/") == []
    assert s3_bucket.keys() == [f"session_files/{other}/c.txt"]


def test_the_cleanup_command_removes_objects_of_idle_sessions(s3_bucket, sid):
    active = str(session_create(user=user_get_or_create_owner(), profile_id="secretary").id)
    upload(sid, "old.txt", b"12345")
    upload(active, "new.txt", b"1")
    Session.objects.filter(id=sid).update(last_active=timezone.now() - timedelta(hours=25))
    out = io.StringIO()
    call_command("cleanup_session_files", "--dry-run", stdout=out)
    assert f"Would remove 1 file(s), 5 bytes, of session {sid} (idle)" in out.getvalue()
    assert len(s3_bucket.keys()) == 2
    out = io.StringIO()
    call_command("cleanup_session_files", stdout=out)
    assert f"Removed 1 file(s), 5 bytes, of session {sid} (idle)" in out.getvalue()
    assert s3_bucket.keys() == [f"session_files/{active}/new.txt"]
    assert Session.objects.filter(id=sid).exists()  # the conversation stays


def test_an_endpoint_that_goes_away_mid_upload_is_a_clear_error_and_leaves_nothing(s3_bucket, sid):
    proxy = CuttableProxy(s3_bucket.server.port)
    try:
        s3_bucket.use(proxy.url)
        assert upload(sid, "before.txt", b"fine").status_code == 201
        proxy.cut_after(proxy.forwarded + 12 * MB)  # into the second part of a 30 MB multipart upload
        failed = upload(sid, "big.bin.txt", b"x" * (30 * MB))
        assert proxy.cut
        assert failed.status_code == 503, failed.content
        assert failed.json()["detail"] == "The file could not be stored: the file storage is unreachable. Try again."
        with pytest.raises(ToolError, match="cannot be reached right now"):
            tool(sid, action="list", path="")
        unreachable, _ = async_to_sync(download)(f"/sessions/{sid}/files/before.txt")
        assert unreachable.status_code == 503
        with pytest.raises(CommandError, match="The file storage is unreachable"):
            call_command("cleanup_session_files", stdout=io.StringIO())
    finally:
        if proxy.cut:
            proxy.restore()
    assert s3_bucket.keys(f"session_files/{sid}/") == [f"session_files/{sid}/before.txt"]  # no big.bin.txt
    # The session goes on as before once the endpoint is back.
    again = upload(sid, "big.bin.txt", b"y" * MB)
    assert again.status_code == 201 and again.json()["name"] == "big.bin.txt"
    assert tool(sid, action="list", path="") == "before.txt (4 bytes)\nbig.bin.txt (1048576 bytes)"
    assert Client().get(f"/sessions/{sid}").status_code == 200
    # The parts sent before the cut are an unfinished multipart upload (no object); deleting the session ends it.
    assert s3_bucket.unfinished_uploads() == [f"session_files/{sid}/big.bin.txt"]
    assert Client().delete(f"/sessions/{sid}").status_code == 204
    assert s3_bucket.unfinished_uploads() == [] and s3_bucket.keys() == []
