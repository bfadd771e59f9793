"""A real S3 server process for the file tests (moto in server mode), and a TCP proxy to cut the line to it."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.e2e.servers import free_port

ACCESS_KEY, SECRET_KEY, REGION = "navi-test", "navi-test-secret", "us-east-1"


class MotoServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "moto.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> MotoServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/moto-api/", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"moto did not start:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def client(self, endpoint: str | None = None):
        import boto3

        return boto3.client(
            "s3", endpoint_url=endpoint or self.url, region_name=REGION,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        )  # fmt: skip


class S3Bucket:
    """A fresh bucket, and the `session_files` storage pointed at it (as NAVI_STORAGE=s3 configures it)."""

    def __init__(self, server: MotoServer, settings) -> None:
        self.server, self.settings = server, settings
        self.name = f"navi-{uuid.uuid4().hex[:12]}"

    def create(self) -> S3Bucket:
        self.server.client().create_bucket(Bucket=self.name)
        return self.use(self.server.url)

    def use(self, endpoint: str) -> S3Bucket:
        """Reach the bucket through `endpoint` (the server itself, or a proxy in front of it)."""
        options = {
            "bucket_name": self.name, "endpoint_url": endpoint, "region_name": REGION,
            "access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "location": "session_files",
        }  # fmt: skip
        backend = {"BACKEND": "sessions_app.file_storage_s3.S3SessionStorage", "OPTIONS": options}
        self.settings.STORAGES = {**self.settings.STORAGES, "session_files": backend}
        return self

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key under `prefix`, asked of the server directly."""
        pages = self.server.client().get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))

    def read(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.name, Key=key)["Body"].read()

    def unfinished_uploads(self) -> list[str]:
        answer = self.server.client().list_multipart_uploads(Bucket=self.name)
        return [upload["Key"] for upload in answer.get("Uploads", ())]


class CuttableProxy:
    """Forwards TCP to `target`; `cut_after(n)` closes every connection, and stops listening, once n bytes have gone
    upstream (an endpoint that goes away mid-upload). `restore()` listens again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.forwarded = 0
        self._limit: int | None = None
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        self._limit, self.forwarded = None, 0
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut_after(self, size: int) -> None:
        self._limit = size

    @property
    def cut(self) -> bool:
        return self._listener is None

    def close(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            doomed, self._sockets = self._sockets, []
        if listener is not None:
            listener.close()
        for sock in doomed:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        try:
            while data := source.recv(65536):
                if upstream:
                    with self._lock:
                        self.forwarded += len(data)
                        over = self._limit is not None and self.forwarded > self._limit
                    if over:
                        self.close()
                        return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
