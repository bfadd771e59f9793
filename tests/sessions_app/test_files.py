"""Session files: safe names, blocked types, numbered collisions, removal with the session, the cleanup command."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from accounts_app.services import user_get_or_create_owner
from navi_project.errors import ApplicationError
from sessions_app import files, presenters
from sessions_app.models import Session
from sessions_app.services.sessions import session_create, session_delete

ROOT = Path(__file__).resolve().parents[2]


def save(session_id, name: str, data: bytes = b"data") -> files.StoredFile:
    return files.session_file_save(session_id=session_id, name=name, content=ContentFile(data))


@pytest.mark.parametrize(
    "raw, safe",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        (".bashrc", "bashrc"),
        ("  spaced   out .txt ", "spaced out .txt"),
        ("résumé 2024.pdf", "résumé 2024.pdf"),
        ('con<>:"|?*.txt', "con_______.txt"),
        ("<script>alert(1)</script>.html", "script_.html"),
        ("a\x00b.txt", "ab.txt"),
        ("...", "file"),
        ("", "file"),
        ("/", "file"),
    ],
)
def test_names_are_reduced_to_a_safe_base_name(raw, safe):
    assert files.safe_name(raw) == safe


def test_long_names_keep_their_extension():
    name = files.safe_name("x" * 400 + ".pdf")
    assert len(name) == files.MAX_NAME_LENGTH and name.endswith("x.pdf")


@pytest.mark.parametrize("name", ["setup.exe", "SETUP.EXE", "report.pdf.exe", "lib.so", "run.Sh", "x.tar.BAT", "a.ps1"])
def test_executables_are_refused_on_their_last_extension_in_any_case(name):
    with pytest.raises(ApplicationError) as caught:
        files.check_extension(name)
    assert caught.value.status == 400 and "not accepted" in caught.value.message


@pytest.mark.parametrize("name", ["report.exe.pdf", "notes.txt", "archive.tar.gz", "Makefile", "shell.sh.txt"])
def test_other_names_are_accepted(name):
    files.check_extension(name)


def test_collisions_are_numbered_before_the_extension(storage_root):
    sid = uuid.uuid4()
    names = [save(sid, "report.pdf").name for _ in range(3)]
    assert names == ["report.pdf", "report_1.pdf", "report_2.pdf"]
    assert save(sid, "archive.tar.gz").name == "archive.tar.gz"
    assert save(sid, "archive.tar.gz").name == "archive.tar_1.gz"
    assert save(sid, "Makefile").name == "Makefile" and save(sid, "Makefile").name == "Makefile_1"
    assert sorted(p.name for p in (storage_root / str(sid)).iterdir()) == [
        "Makefile", "Makefile_1", "archive.tar.gz", "archive.tar_1.gz", "report.pdf", "report_1.pdf", "report_2.pdf"
    ]  # fmt: skip
    stored = save(sid, "../../escape.txt", b"hello")
    assert presenters.stored_file(stored) == {
        "name": "escape.txt",
        "size": 5,
        "path": f"session_files/{sid}/escape.txt",
        "content_type": "text/plain",
    }
    assert not (storage_root / "escape.txt").exists()


@pytest.mark.parametrize(
    "requested",
    ["../secret", "..", ".", "a/b.txt", "..%2fsecret", "%2e%2e%2fsecret", "%252e%252e%252fsecret", "..\\secret",
     "a%5cb", "x%00.txt", "%2fetc%2fpasswd", "/etc/passwd"],
)  # fmt: skip
def test_download_names_that_leave_the_folder_answer_403(requested):
    with pytest.raises(ApplicationError) as caught:
        files.download_name(requested)
    assert caught.value.status == 403


def test_attached_files_must_exist_in_this_session(storage_root):
    sid, other = uuid.uuid4(), uuid.uuid4()
    save(sid, "notes.txt")
    save(other, "theirs.txt")
    assert files.attached_file_path(entry={"path": f"session_files/{sid}/notes.txt"}, session_id=sid, index=0) == (
        f"session_files/{sid}/notes.txt"
    )
    assert (
        files.attached_file_path(entry={"name": "notes.txt"}, session_id=sid, index=0)
        == f"session_files/{sid}/notes.txt"
    )
    for entry, message in [
        ({"path": f"session_files/{other}/theirs.txt"}, "outside this session's files"),
        ({"path": "theirs.txt"}, "was not uploaded to this session"),
        ({"path": "../x"}, "outside"),
        ({"path": "missing.txt"}, "was not uploaded"),
        ("notes.txt", "must be an object"),
    ]:
        with pytest.raises(ApplicationError, match=message):
            files.attached_file_path(entry=entry, session_id=sid, index=0)


@pytest.mark.django_db(transaction=True)
def test_deleting_a_session_removes_its_files_and_only_its_files(storage_root):
    owner = user_get_or_create_owner()
    doomed = session_create(user=owner, profile_id="secretary")
    kept = session_create(user=owner, profile_id="secretary")
    save(doomed.id, "a.txt")
    save(doomed.id, "b.txt")
    save(kept.id, "c.txt")
    session_delete(user=owner, session_id=doomed.id)
    assert not (storage_root / str(doomed.id)).exists()
    assert (storage_root / str(kept.id) / "c.txt").exists()


@pytest.mark.django_db
def test_cleanup_removes_files_of_idle_sessions_and_reports_them(storage_root):
    owner = user_get_or_create_owner()
    idle = session_create(user=owner, profile_id="secretary")
    active = session_create(user=owner, profile_id="secretary")
    Session.objects.filter(id=idle.id).update(last_active=timezone.now() - timedelta(hours=25))
    save(idle.id, "old.txt", b"12345")
    save(active.id, "new.txt")
    orphan = uuid.uuid4()  # a folder whose session is gone
    save(orphan, "left.txt", b"123")

    out = io.StringIO()
    call_command("cleanup_session_files", "--dry-run", stdout=out)
    assert f"Would remove 1 file(s), 5 bytes, of session {idle.id} (idle)" in out.getvalue()
    assert f"of session {orphan} (no session)" in out.getvalue()
    assert "Would remove 2 file(s), 8 bytes, of 2 session(s) idle for over 24 h." in out.getvalue()
    assert (storage_root / str(idle.id) / "old.txt").exists()

    out = io.StringIO()
    call_command("cleanup_session_files", stdout=out)
    assert "Removed 2 file(s), 8 bytes, of 2 session(s)" in out.getvalue()
    assert not (storage_root / str(idle.id)).exists() and not (storage_root / str(orphan)).exists()
    assert (storage_root / str(active.id) / "new.txt").exists()
    assert Session.objects.filter(id=idle.id).exists()  # the conversation stays; only its files go

    later = (timezone.now() + timedelta(hours=24, minutes=1)).isoformat()
    out = io.StringIO()
    call_command("cleanup_session_files", "--now", later, stdout=out)
    assert f"Removed 1 file(s), 4 bytes, of session {active.id} (idle)" in out.getvalue()
    assert not (storage_root / str(active.id)).exists()


@pytest.mark.django_db
def test_cleanup_refuses_a_bad_now(storage_root):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not an ISO-8601"):
        call_command("cleanup_session_files", "--now", "tomorrow")


def _storage_in_subprocess(env: dict) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup()\n"
        "from django.core.files.storage import storages\n"
        "s = storages['session_files']\n"
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.location, s.file_overwrite)\n"
        "print(s.get_available_name.__qualname__)\n"
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NAVI_STORAGE"))}
    full_env.update(env, DJANGO_SETTINGS_MODULE="navi_project.settings")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True)


def test_navi_storage_s3_selects_django_storages_s3_with_numbered_names():
    done = _storage_in_subprocess(
        {"NAVI_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "navi-files", "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9"}
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "S3SessionStorage navi-files http://127.0.0.1:9 session_files False"
    assert lines[1] == "NumberedNames.get_available_name"


def test_navi_storage_s3_without_a_bucket_stops_start_up_naming_the_variable():
    done = _storage_in_subprocess({"NAVI_STORAGE": "s3"})
    assert done.returncode != 0 and "AWS_STORAGE_BUCKET_NAME" in done.stderr


def test_local_storage_is_the_default_and_lives_in_navi_session_files_dir(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n"
         "from django.core.files.storage import storages\n"
         "s = storages['session_files']; print(type(s).__name__, s.location)"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("NAVI_STORAGE")},
             "DJANGO_SETTINGS_MODULE": "navi_project.settings", "NAVI_SESSION_FILES_DIR": str(tmp_path / "files")},
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["LocalSessionStorage", str(tmp_path / "files")]
