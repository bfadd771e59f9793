"""The local session storage on a disk that fills up: a real, small tmpfs (mounting it needs root, as here and in CI)."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts_app.services import user_get_or_create_owner
from sessions_app.services.sessions import session_create

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def small_disk(tmp_path, settings):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "session_files": {
            "BACKEND": "sessions_app.file_storage.LocalSessionStorage",
            "OPTIONS": {"location": str(mount)},
        },
    }
    yield mount
    subprocess.run(["umount", "--lazy", str(mount)], check=True)  # lazy: gone even if a test left a file open


def upload(sid: str, name: str, data: bytes):
    return Client().post(f"/sessions/{sid}/files", {"file": SimpleUploadedFile(name, data)})


def test_a_disk_that_fills_mid_upload_answers_507_and_keeps_no_partial_file(small_disk):
    sid = str(session_create(user=user_get_or_create_owner(), profile_id="secretary").id)
    assert upload(sid, "small.txt", b"fits").status_code == 201
    full = upload(sid, "big.txt", uuid.uuid4().bytes * (3 * MB // 16))  # larger than the whole disk
    assert full.status_code == 507, full.content
    assert full.json()["detail"] == "The file could not be stored: the server's disk is full"
    assert sorted(p.name for p in (small_disk / sid).iterdir()) == ["small.txt"]
    again = upload(sid, "big.txt", b"now it fits")  # the name was not left taken
    assert again.status_code == 201 and again.json()["name"] == "big.txt"
    download = Client().get(f"/sessions/{sid}/files/big.txt")
    assert download.status_code == 200 and download["Content-Length"] == "11"
    download.close()  # unread: closing the response closes the file (else the disk could not be unmounted)
