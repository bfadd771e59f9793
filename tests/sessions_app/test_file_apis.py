"""The upload and download views in process (the same views run against real servers in tests/e2e)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopFutureHandlers
from django.test import AsyncClient, Client

from accounts_app.services import user_get_or_create_owner
from sessions_app.file_apis import CappedUploadHandler, UploadTooLarge
from sessions_app.files import DOWNLOAD_CHUNK
from sessions_app.services.sessions import session_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def sid() -> str:
    return str(session_create(user=user_get_or_create_owner(), profile_id="secretary").id)


def upload(client: Client, sid: str, name: str, data: bytes = b"hello", field: str = "file"):
    return client.post(f"/sessions/{sid}/files", {field: SimpleUploadedFile(name, data)})


def test_upload_answers_201_with_name_size_path_and_type(storage_root, sid):
    client = Client()
    created = upload(client, sid, "report.pdf", b"%PDF-1.4 tiny")
    assert created.status_code == 201
    assert created.json() == {
        "name": "report.pdf",
        "size": 13,
        "path": f"session_files/{sid}/report.pdf",
        "content_type": "application/pdf",
    }
    assert (storage_root / sid / "report.pdf").read_bytes() == b"%PDF-1.4 tiny"
    assert upload(client, sid, "report.pdf").json()["name"] == "report_1.pdf"


def test_upload_refuses_blocked_types_missing_fields_and_unknown_sessions(storage_root, sid):
    client = Client()
    blocked = upload(client, sid, "invoice.pdf.EXE")
    assert blocked.status_code == 400 and blocked.json()["detail"] == "Files of type .exe are not accepted"
    assert upload(client, sid, "x.txt", field="document").status_code == 400
    assert client.post(f"/sessions/{sid}/files", {"note": "no file"}).status_code == 400
    assert client.post(f"/sessions/{sid}/files", data=b"{}", content_type="application/json").status_code == 400
    assert upload(client, str(uuid.uuid4()), "a.txt").status_code == 404
    assert upload(client, "not-a-uuid", "a.txt").status_code == 404
    assert client.get(f"/sessions/{sid}/files").status_code == 405
    assert not (storage_root / sid).exists()


def test_an_upload_declared_larger_than_the_limit_is_refused_before_parsing(storage_root, sid, settings):
    settings.NAVI_MAX_UPLOAD_MB = 1
    response = upload(Client(), sid, "big.txt", b"x" * (1024 * 1024 + 100 * 1024))
    assert response.status_code == 413 and "1 MB" in response.json()["detail"]
    assert not (storage_root / sid).exists()


def test_the_upload_handler_stops_at_the_limit_and_removes_the_partial_file(rf):
    handler = CappedUploadHandler(rf.post("/"), limit=10)
    with pytest.raises(StopFutureHandlers):  # this handler takes the file
        handler.new_file("file", "a.txt", "text/plain", None)
    handler.receive_data_chunk(b"12345678", 0)
    partial = Path(handler.file.temporary_file_path())
    assert partial.exists()
    with pytest.raises(UploadTooLarge):
        handler.receive_data_chunk(b"90ab", 8)
    assert not partial.exists() and handler.file is None


def test_the_upload_handler_refuses_a_blocked_name_before_writing(rf):
    from navi_project.errors import ApplicationError

    handler = CappedUploadHandler(rf.post("/"), limit=10)
    with pytest.raises(ApplicationError, match=r"\.bat are not accepted"):
        handler.new_file("file", "install.BAT", "application/octet-stream", None)
    assert handler.file is None


@pytest.mark.parametrize(
    "name, content_type, disposition",
    [
        ("photo.png", "image/png", "inline"),
        ("photo.jpg", "image/jpeg", "inline"),
        ("paper.pdf", "application/pdf", "inline"),
        ("notes.txt", "text/plain", "inline"),
        ("page.html", "text/html", "attachment"),
        ("drawing.svg", "image/svg+xml", "attachment"),
        ("data.json", "application/json", "attachment"),
        ("archive.zip", "application/zip", "attachment"),
        ("unknown.weird", "application/octet-stream", "attachment"),
    ],
)
def test_downloads_are_inline_only_for_images_pdfs_and_plain_text(storage_root, sid, name, content_type, disposition):
    assert upload(Client(), sid, name, b"<svg onload=alert(1)>").status_code == 201
    response, chunks = async_to_sync(download)(f"/sessions/{sid}/files/{name}")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == content_type
    assert response["Content-Disposition"] == f'{disposition}; filename="{name}"'
    assert response["Content-Length"] == "21"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(chunks) == b"<svg onload=alert(1)>"


async def download(path: str, method: str = "get"):
    """The response and its body's chunks as the ASGI handler would send them."""
    response = await getattr(AsyncClient(), method)(path)
    if not response.streaming:
        return response, [response.content]
    assert response.is_async  # a sync iterator would be read whole into memory before the first byte
    return response, [chunk async for chunk in response.streaming_content]


def test_a_large_download_is_sent_in_chunks_as_it_is_read(storage_root, sid):
    data = bytes(range(256)) * (3 * DOWNLOAD_CHUNK // 256) + b"end"
    assert upload(Client(), sid, "photo.png", data).status_code == 201
    response, chunks = async_to_sync(download)(f"/sessions/{sid}/files/photo.png")
    assert response["Content-Length"] == str(len(data))
    assert [len(c) for c in chunks] == [DOWNLOAD_CHUNK] * 3 + [3]
    assert b"".join(chunks) == data


def test_head_answers_the_headers_and_no_body(storage_root, sid):
    assert upload(Client(), sid, "notes.txt", b"twelve bytes").status_code == 201
    response, chunks = async_to_sync(download)(f"/sessions/{sid}/files/notes.txt", "head")
    assert response.status_code == 200 and response["Content-Length"] == "12"
    assert response["Content-Disposition"] == 'inline; filename="notes.txt"'
    assert b"".join(chunks) == b""


def test_a_240_character_extension_is_stored_under_a_safe_name(storage_root, sid):
    created = upload(Client(), sid, "report." + "x" * 240, b"data")
    assert created.status_code == 201, created.content
    name = created.json()["name"]
    assert name == "report." + "x" * 19 and (storage_root / sid / name).read_bytes() == b"data"


def test_a_240_character_blocked_name_is_still_refused(storage_root, sid):
    refused = upload(Client(), sid, "x" * 240 + ".exe")
    assert refused.status_code == 400 and refused.json()["detail"] == "Files of type .exe are not accepted"


def test_downloads_answer_403_for_escapes_and_404_for_missing_files_and_sessions(storage_root, sid):
    client = Client()
    upload(client, sid, "a.txt")
    (storage_root / "secret.txt").write_text("TOP-SECRET")
    for hostile in ["..%2fsecret.txt", "%2e%2e%2fsecret.txt", "%252e%252e%252fsecret.txt", "..%5csecret.txt",
                    "a.txt%00.png", "sub%2f..%2f..%2fsecret.txt"]:  # fmt: skip
        response = client.get(f"/sessions/{sid}/files/{hostile}")
        assert response.status_code == 403, hostile
        assert b"TOP-SECRET" not in response.content
    assert client.get(f"/sessions/{sid}/files/missing.txt").status_code == 404
    assert client.get(f"/sessions/{uuid.uuid4()}/files/a.txt").status_code == 404
    assert client.get(f"/sessions/{sid}/files/a.txt").status_code == 200
