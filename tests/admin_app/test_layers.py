"""The dependency direction admin_app -> agents_app -> sessions_app -> accounts_app: nothing imports admin_app,
and the users' own selectors have no "unless admin" branch (cross-user reads are admin_app.selectors')."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("app", ["accounts_app", "sessions_app", "agents_app"])
def test_no_other_app_imports_admin_app(app):
    offenders = {
        str(path.relative_to(ROOT)): sorted(n for n in _imports(path) if n.split(".")[0] == "admin_app")
        for path in (ROOT / app).rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize("module", ["sessions_app/selectors.py", "agents_app/stores.py", "agents_app/context_view.py"])
def test_user_scoped_reads_never_ask_about_admins(module):
    source = (ROOT / module).read_text(encoding="utf-8")
    for word in ("read_all", "has_navi_permission", "is_staff", "is_superuser", "Role.ADMIN"):
        assert word not in source, f"{module} mentions {word}"
