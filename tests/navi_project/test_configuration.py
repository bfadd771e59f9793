"""A bad configuration stops start-up with one line naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

BAD = [
    ({"NAVI_AUTH_MODE": "ldap"}, "NAVI_AUTH_MODE"),
    ({"NAVI_AUTH_MODE": "oauth"}, "GNEXUS_AUTH_URL"),
    ({"NAVI_AUTH_MODE": "oauth", "GNEXUS_AUTH_URL": "https://auth.example"}, "GNEXUS_AUTH_CLIENT_ID"),
    ({"GNEXUS_AUTH_URL": "auth.example"}, "GNEXUS_AUTH_URL"),
    ({"NAVI_PUBLIC_URL": "https://navi.example/app"}, "NAVI_PUBLIC_URL"),
    ({"NAVI_PUBLIC_URL": "https://navi.example:port"}, "NAVI_PUBLIC_URL"),
    ({"NAVI_AUTH_SESSION_DAYS": "0"}, "NAVI_AUTH_SESSION_DAYS"),
    ({"NAVI_OLLAMA_KEEP_ALIVE": "soon"}, "NAVI_OLLAMA_KEEP_ALIVE"),
    ({"NAVI_OLLAMA_FIRST_BYTE_TIMEOUT": "0"}, "NAVI_OLLAMA_FIRST_BYTE_TIMEOUT"),
    ({"NAVI_DEFAULT_CONTEXT_TOKENS": "lots"}, "NAVI_DEFAULT_CONTEXT_TOKENS"),
    ({"NAVI_APP_SCHEME": "java script"}, "NAVI_APP_SCHEME"),
    ({"NAVI_ANDROID_PACKAGE": 'app"><x'}, "NAVI_ANDROID_PACKAGE"),
    ({"NAVI_HEARTBEAT_SECONDS": "soon"}, "NAVI_HEARTBEAT_SECONDS"),
    ({"NAVI_MAX_UPLOAD_MB": "-5"}, "NAVI_MAX_UPLOAD_MB"),
    ({"NAVI_RUNNER": "worker"}, "REDIS_URL"),
    ({"DATABASE_URL": "nonsense://"}, "DATABASE_URL"),
    ({"OLLAMA_HOST": "ftp://x"}, "OLLAMA_HOST"),
    ({"NAVI_PROFILES_DIR": "/no/such/folder"}, "NAVI_PROFILES_DIR"),
]


def start(extra: dict, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"NAVI_DATA_DIR": str(tmp_path), **extra})
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("env", "named"), BAD, ids=[next(iter(e)) + "=" + next(iter(e.values())) for e, _ in BAD])
def test_a_bad_value_stops_start_up_with_one_line_naming_it(env, named, tmp_path):
    result = start(env, tmp_path, "manage.py", "check")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert named in lines[0] and "Traceback" not in result.stderr


def test_the_asgi_application_refuses_the_same_way(tmp_path):
    result = start({"NAVI_AUTH_MODE": "ldap"}, tmp_path, "-c", "import navi_project.asgi")
    assert result.returncode != 0 and "NAVI_AUTH_MODE" in result.stderr and "Traceback" not in result.stderr


def test_the_defaults_start(tmp_path):
    result = start({}, tmp_path, "manage.py", "check")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").exists() or any(tmp_path.iterdir())


def test_oauth_mode_starts_with_the_server_and_client_id(tmp_path):
    oauth = {"NAVI_AUTH_MODE": "oauth", "GNEXUS_AUTH_URL": "https://auth.example", "GNEXUS_AUTH_CLIENT_ID": "navi"}
    result = start(oauth, tmp_path, "manage.py", "check")
    assert result.returncode == 0, result.stderr


def test_an_sqlite_older_than_3_35_stops_start_up_naming_it(tmp_path):
    # The SQLite Python links is the system's: an old one is what this machine's stands in for here.
    old = "import sqlite3, runpy, sys; sqlite3.sqlite_version_info = (3, 31, 1); sqlite3.sqlite_version = '3.31.1'; "
    result = start(
        {}, tmp_path, "-c", old + "sys.argv = ['manage.py', 'check']; runpy.run_path('manage.py', run_name='__main__')"
    )
    assert result.returncode != 0
    assert "SQLite 3.31.1 is too old: Navi needs 3.35 or newer" in result.stderr and "Traceback" not in result.stderr
