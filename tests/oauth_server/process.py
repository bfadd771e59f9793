"""The test authorization server as a process of its own, for tests to start, feed accounts, stop and restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OAuthServerError(RuntimeError):
    """The server or one of its commands failed; the message carries its output."""


@dataclass
class OAuthServer:
    workdir: Path
    client_id: str = "navi-test"
    client_secret: str = "navi-test-secret-7b1f0c2e9a4d4e8f"
    start_timeout: float = 30.0
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Base URL without a trailing slash: what Navi gets as GNEXUS_AUTH_URL."""
        if not self.port:
            raise OAuthServerError("The OAuth server has not been started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def log_path(self) -> Path:
        return self.workdir / "oauth_server.log"

    @property
    def env(self) -> dict[str, str]:
        # Not the test process's Django settings or pytest's variables: this is another Django project.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS_MODULE"))}
        env.update(OAUTH_SERVER_DIR=str(self.data_dir), PYTHONUNBUFFERED="1")
        return env

    def manage(self, *args: str) -> str:
        """Run one management command of the server; returns its stdout."""
        result = subprocess.run(
            [sys.executable, "-m", "tests.oauth_server", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise OAuthServerError(
                f"`{' '.join(args[:1])}` failed ({result.returncode}):\n{result.stderr}{result.stdout}"
            )
        return result.stdout

    def start(self, *, redirect_uris: list[str]) -> None:
        """Migrate a fresh database, register the client, and serve on a free port until it answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.manage("migrate", "--noinput", "-v0")
        self.set_client(redirect_uris=redirect_uris)
        self.port = self.port or free_port()
        self._spawn()

    def set_client(self, *, redirect_uris: list[str]) -> None:
        """Register the client again, e.g. with other redirect URIs; works while the server runs."""
        args = ["create_client", "--client-id", self.client_id, "--client-secret", self.client_secret]
        for uri in redirect_uris:
            args += ["--redirect-uri", uri]
        self.manage(*args)

    def _spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.oauth_server", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise OAuthServerError(f"The OAuth server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                # A short probe: a port held by something that never answers must not keep it from seeing an exit.
                response = httpx.get(f"{self.url}/.well-known/openid-configuration", timeout=0.5)
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise OAuthServerError(
                    f"The OAuth server did not answer within {self.start_timeout:g}s:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def create_account(
        self,
        *,
        username: str,
        password: str,
        email: str,
        display_name: str,
        role: str = "user",
        permissions: tuple[str, ...] | list[str] = (),
    ) -> str:
        """Create a user who can sign in; returns the account's `sub`."""
        args = ["create_account", "--username", username, "--password", password, "--email", email]
        args += ["--display-name", display_name, "--role", role]
        for permission in permissions:
            args += ["--permission", permission]
        return self.manage(*args).strip()

    def set_account(
        self,
        *,
        username: str,
        role: str | None = None,
        permissions: tuple[str, ...] | list[str] | None = None,
        display_name: str | None = None,
        email: str | None = None,
        password: str | None = None,
        active: bool | None = None,
    ) -> None:
        """Change what the provider says about a user; None leaves a field as it is."""
        args = ["set_account", "--username", username]
        if role is not None:
            args += ["--role", role]
        if display_name is not None:
            args += ["--display-name", display_name]
        if email is not None:
            args += ["--email", email]
        if password is not None:
            args += ["--password", password]
        if active is not None:
            args.append("--active" if active else "--inactive")
        if permissions is not None:
            if permissions:
                for permission in permissions:
                    args += ["--permission", permission]
            else:
                args.append("--no-permissions")
        self.manage(*args)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """End the server's whole process group; the database and port stay for a restart."""
        proc, self.process = self.process, None
        if proc is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(5)
                return
            except subprocess.TimeoutExpired:
                continue

    def restart(self) -> None:
        """Stop and serve again on the same port with the same data: the provider going away and coming back."""
        self.stop()
        self._spawn()
