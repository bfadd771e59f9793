"""Processes a test owns and may break: a Redis server, a PostgreSQL cluster, the fake Ollama, a small disk.

Each runs on a free port (or a folder) of its own, so restarting or filling one never touches the services
other tests or other people use.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.servers import ROOT, free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_until(check, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout} s")
        time.sleep(0.05)


def _answers(port: int, probe: bytes = b"", expect: bytes = b"") -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            if probe:
                sock.sendall(probe)
                return sock.recv(64).startswith(expect)
            return True
    except OSError:
        return False


class _Process:
    """A child process in its own process group, logged to a file, that can be killed and started again."""

    def __init__(self, workdir: Path, name: str) -> None:
        self.workdir, self.name = workdir, name
        self.proc: subprocess.Popen | None = None

    def _spawn(self, args: list[str], **kwargs) -> None:
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **kwargs)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to the clients, as a crash or the OOM killer leaves it."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


class RedisServer(_Process):
    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, "redis")
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._spawn([*args, "--dir", str(self.workdir)])
        wait_until(lambda: _answers(self.port, b"PING\r\n", b"+PONG"), f"redis on {self.port}")

    def restart(self, down_seconds: float = 1.0) -> None:
        """Killed and started empty on the same port: every list, group and pending message is gone."""
        self.kill()
        time.sleep(down_seconds)
        self.start()


class PostgresCluster:
    """A throwaway cluster (initdb, pg_ctl) on a free port; the shared server on 5432 is never touched."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: its folders are private to root, and the server runs as `postgres`.
        self.root = Path(tempfile.mkdtemp(prefix="navi-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self._user:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self._user:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.root)

    def init(self) -> None:
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")
        wait_until(lambda: _answers(self.port), f"postgres on {self.port}")

    def stop(self) -> None:
        """Immediate mode: the server drops every connection at once, as a crash would (recovery at next start)."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def restart(self, down_seconds: float = 1.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already down
        shutil.rmtree(self.root, ignore_errors=True)


class FakeOllamaProcess(_Process):
    """The fake Ollama as a process of its own on a fixed port, so it can die mid-stream and come back."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, "fake-ollama")
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._spawn([sys.executable, "-m", "tests.fakes.fake_ollama", "--port", str(self.port)], cwd=ROOT)
        wait_until(lambda: _answers(self.port), f"the fake Ollama on {self.port}")

    def restart(self) -> None:
        self.kill()
        self.start()


def holds_connection_to(pid: int, port: int) -> bool:
    """Whether process `pid` holds an established TCP connection to 127.0.0.1:`port`.

    Read from /proc: the process's socket inodes matched against the kernel's TCP table."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    wanted = f"0100007F:{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote, state, inode = fields[2], fields[3], fields[9]
            if state == "01" and remote.endswith(wanted) and inode in inodes:
                return True
    return False


class SmallDisk:
    """A tmpfs of a few megabytes: writes past it fail with ENOSPC, as on a full disk."""

    def __init__(self, size_mb: int) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="navi-disk-"))
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(self.path)], check=True)

    def free_bytes(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def used_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

    def destroy(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)
        shutil.rmtree(self.path, ignore_errors=True)
