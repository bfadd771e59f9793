"""filesystem: read, write and list inside the session's own folder of the real storage; every escape refused."""

from __future__ import annotations

import os
import uuid

import pytest

from agents_app.engine.tools import ToolContext, ToolError, ToolPorts
from agents_app.engine.tools.filesystem import MAX_READ_BYTES, filesystem_tool, folder_path
from agents_app.file_store import StorageSessionFiles

pytestmark = pytest.mark.asyncio


@pytest.fixture
def session_id() -> str:
    return str(uuid.uuid4())


def context(session_id: str) -> ToolContext:
    return ToolContext(
        user_id="1",
        session_id=session_id,
        profile_id="secretary",
        ports=ToolPorts(extra={"files": StorageSessionFiles()}),
        emit=lambda event: None,
    )


async def call(session_id: str, **args) -> str:
    return await filesystem_tool.run(args, context(session_id))


async def test_write_then_read_and_list_through_either_form_of_the_path(storage_root, session_id):
    written = await call(session_id, action="write", path="notes.txt", content="first line\nsecond line")
    assert written == f"Wrote 22 bytes to session_files/{session_id}/notes.txt"
    assert (storage_root / session_id / "notes.txt").read_text() == "first line\nsecond line"
    assert await call(session_id, action="read", path=f"session_files/{session_id}/notes.txt") == (
        "first line\nsecond line"
    )
    await call(session_id, action="write", path=f"session_files/{session_id}/notes.txt", content="replaced")
    assert await call(session_id, action="read", path="notes.txt") == "replaced"
    await call(session_id, action="write", path="drafts/plan.md", content="# Plan")
    listing = await call(session_id, action="list", path="")
    assert listing == "drafts/\nnotes.txt (8 bytes)"
    assert await call(session_id, action="list", path=f"session_files/{session_id}") == listing
    assert await call(session_id, action="list", path="drafts") == "plan.md (6 bytes)"


async def test_an_empty_folder_and_a_missing_file_are_told_plainly(storage_root, session_id):
    assert await call(session_id, action="list", path="") == "This session has no files yet."
    with pytest.raises(ToolError, match="no file 'nothing.txt'"):
        await call(session_id, action="read", path="nothing.txt")
    with pytest.raises(ToolError, match="unknown action 'delete'"):
        await call(session_id, action="delete", path="x")
    with pytest.raises(ToolError, match="needs `content`"):
        await call(session_id, action="write", path="x.txt")


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/etc/passwd", "only paths inside"),
        ("../other/x.txt", "`..` is not allowed"),
        ("a/../../x.txt", "`..` is not allowed"),
        ("..%2f..%2fetc%2fpasswd", "percent-encoded"),
        ("%252e%252e%252fsecret", "percent-encoded"),
        ("notes.txt\x00.png", "NUL byte"),
        ("..\\..\\windows\\win.ini", "backslashes"),
        ("~/.ssh/id_rsa", "only paths inside"),
        ("session_files/00000000-0000-0000-0000-000000000000/x.txt", "only this session's folder"),
    ],
)
async def test_paths_that_could_leave_the_folder_are_refused(storage_root, session_id, path, reason):
    for action in ("read", "write", "list"):
        with pytest.raises(ToolError, match=reason):
            await call(session_id, action=action, path=path, content="x")


async def test_a_symlink_inside_the_folder_is_not_followed(storage_root, session_id, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private key")
    folder = storage_root / session_id
    folder.mkdir(parents=True)
    os.symlink(secret, folder / "link.txt")
    os.symlink(tmp_path, folder / "outside")
    with pytest.raises(ToolError, match="symbolic links are not followed"):
        await call(session_id, action="read", path="link.txt")
    with pytest.raises(ToolError, match="symbolic links are not followed"):
        await call(session_id, action="read", path="outside/secret.txt")
    with pytest.raises(ToolError, match="symbolic links are not followed"):
        await call(session_id, action="write", path="outside/new.txt", content="x")
    assert not (tmp_path / "new.txt").exists() and secret.read_text() == "private key"


async def test_reads_are_capped_and_binary_files_are_not_dumped(storage_root, session_id):
    folder = storage_root / session_id
    folder.mkdir(parents=True)
    (folder / "big.txt").write_text("a" * (MAX_READ_BYTES + 5000))
    text = await call(session_id, action="read", path="big.txt")
    assert text.startswith("a" * 1000) and len(text) < MAX_READ_BYTES + 200
    note = f"[... truncated: the file has {MAX_READ_BYTES + 5000} bytes, the first {MAX_READ_BYTES} are shown]"
    assert text.endswith(note)
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ToolError, match="binary file"):
        await call(session_id, action="read", path="image.png")


async def test_writing_executables_is_refused_like_uploading_them(storage_root, session_id):
    with pytest.raises(ToolError, match=r"\.sh are not accepted"):
        await call(session_id, action="write", path="run.SH", content="rm -rf /")
    assert not (storage_root / session_id / "run.SH").exists()


async def test_folder_path_names_the_same_file_both_ways():
    sid = "5b1c"
    assert folder_path("report.pdf", sid, allow_root=False) == "report.pdf"
    assert folder_path(f"session_files/{sid}/report.pdf", sid, allow_root=False) == "report.pdf"
    assert folder_path("./a//b/./c.txt", sid, allow_root=False) == "a/b/c.txt"
    assert folder_path("", sid, allow_root=True) == ""
    with pytest.raises(ToolError, match="must name a file"):
        folder_path("", sid, allow_root=False)
