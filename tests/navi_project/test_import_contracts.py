"""The import contracts in `.importlinter` hold, and they bite: a forbidden import added to a copy of the tree
breaks them, naming the import."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("navi_project", "accounts_app", "sessions_app", "agents_app", "admin_app")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def tree_copy(tmp_path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "sessions_app/_upward.py",
            "from agents_app.profiles import profile_get",
            "sessions_app._upward -> agents_app",
        ),
        ("accounts_app/_upward.py", "import sessions_app.models", "accounts_app._upward -> sessions_app.models"),
        ("agents_app/_upward.py", "from admin_app import selectors", "agents_app._upward -> admin_app"),
        ("agents_app/engine/_framework.py", "import django.db", "agents_app.engine._framework -> django"),
        (
            "agents_app/engine/_port.py",
            "from agents_app.ollama import default_llm",
            "engine._port -> agents_app.ollama",
        ),
    ],
)
def test_a_forbidden_import_breaks_the_contracts(tree_copy, module, line, broken):
    (tree_copy / module).write_text(f"{line}\n", encoding="utf-8")
    result = lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout
    assert "1 broken" in result.stdout
    assert broken in result.stdout


def test_the_event_vocabulary_may_not_lean_on_django(tree_copy):
    events = tree_copy / "navi_project" / "events.py"
    events.write_text(events.read_text(encoding="utf-8") + "\nfrom django.conf import settings  # noqa\n")
    result = lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout
    assert "navi_project.events -> django (l." in result.stdout


@pytest.mark.parametrize(
    ("contract", "package", "allowed"),
    [
        ("engine", "agents_app", {"engine"}),
        ("engine", "navi_project", {"events"}),
        ("events", "navi_project", {"events"}),
    ],
)
def test_the_lists_of_forbidden_modules_are_whole(contract, package, allowed):
    """A new module beside the engine (or the event vocabulary) must be forbidden to it too; the lists are
    explicit, so check that none is missing."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    forbidden = set(config[f"importlinter:contract:{contract}"]["forbidden_modules"].split())
    beside = {
        f"{package}.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / package).iterdir()
        if (path.suffix == ".py" or path.is_dir())
        and path.stem not in allowed | {"__init__"}
        and path.name != "__pycache__"
    }
    assert beside - forbidden == set()
