"""NAVI_STORAGE=s3 in real server processes against a real S3 server process (moto): an upload through a front
end lands in the bucket, streams back without growing the server, and the agent's filesystem tool reads it (on
a worker process, with Redis)."""

from __future__ import annotations

import pytest

from tests.e2e.client import connect, new_session, rest
from tests.e2e.servers import start_servers
from tests.e2e.test_file_streaming_e2e import reset_peak
from tests.e2e.test_files_e2e import MB, Multipart, memory_kb
from tests.fakes.fake_ollama import script
from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY, S3Bucket


@pytest.fixture(scope="module")
def navi_s3(fake_ollama_server, s3_server, tmp_path_factory):
    bucket = S3Bucket(s3_server, settings=None)
    s3_server.client().create_bucket(Bucket=bucket.name)
    servers = start_servers(
        tmp_path_factory.mktemp("navi-s3"),
        ollama_url=fake_ollama_server.url,
        extra_env={
            "NAVI_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": bucket.name, "AWS_S3_ENDPOINT_URL": s3_server.url,
            "AWS_S3_REGION_NAME": REGION, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        },
    )  # fmt: skip
    servers.bucket = bucket
    yield servers
    servers.stop()


@pytest.mark.asyncio
async def test_an_upload_lands_in_the_bucket_streams_back_and_the_agent_reads_it(navi_s3, fake_ollama_server):
    fake_ollama_server.reset()
    sid = new_session(navi_s3.url)
    body = Multipart("notes.txt", 50 * MB)
    pid = navi_s3.processes["front-1"].pid
    with rest(navi_s3.url) as api:
        stored = api.post(f"/sessions/{sid}/files", content=body.chunks(), headers=body.headers(declare_length=True))
        assert stored.status_code == 201, stored.text
        assert navi_s3.bucket.keys(f"session_files/{sid}/") == [f"session_files/{sid}/notes.txt"]
        # A first download loads what boto3 loads once per process (its resource models): not the file's cost.
        api.post(f"/sessions/{sid}/files", files={"file": ("warm-up.txt", b"warm")})
        assert api.get(f"/sessions/{sid}/files/warm-up.txt").content == b"warm"
        reset_peak(pid)
        before = memory_kb(pid)
        received = 0
        with api.stream("GET", f"/sessions/{sid}/files/notes.txt") as response:
            assert response.status_code == 200 and response.headers["content-length"] == str(50 * MB)
            for chunk in response.iter_bytes():
                received += len(chunk)
        growth = (memory_kb(pid)["VmHWM"] - before["VmRSS"]) / 1024
    print(f"\n50 MB download from S3 through front-1: peak +{growth:.1f} MB")
    assert received == 50 * MB
    # Read whole (django-storages' open() and a FileResponse) it cost +182 MB; streamed, 1-16 MB (boto3's and
    # urllib3's buffers, and the allocator keeping freed chunks), whatever the file's size.
    assert growth < 30, f"the server grew by {growth:.0f} MB while serving a 50 MB file from S3"

    ws = await connect(navi_s3.ws_url(navi_s3.other_url(), sid))  # the other front end, where there are two
    await ws.next()
    read = {"name": "filesystem", "arguments": {"action": "read", "path": stored.json()["path"]}}
    await ws.message("what is in it? " + script({"tool_calls": [read]}, {"content": "Navi, many times."}))
    events = await ws.until("stream_end", timeout=60)
    await ws.close()
    (result,) = [e for e in events if e["type"] == "tool_call"]
    assert result["success"] is True and result["result"].startswith("navinavinavi")
    with rest(navi_s3.url) as api:
        # The tool gives the model the head and the full size; the event shows less (it is cut to fit a frame),
        # the stored tool message all of it.
        stored_results = [m["content"] for m in api.get(f"/sessions/{sid}").json()["messages"] if m["role"] == "tool"]
        assert "52428800" in stored_results[-1] and "truncated_fields" in result
        assert api.delete(f"/sessions/{sid}").status_code == 204
    assert navi_s3.bucket.keys(f"session_files/{sid}/") == []
    assert navi_s3.bucket.unfinished_uploads() == []
