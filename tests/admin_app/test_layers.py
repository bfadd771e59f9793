"""The users' own selectors have no "unless admin" branch: cross-user reads are admin_app.selectors' (the
import direction itself is checked by `.importlinter`)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["sessions_app/selectors.py", "agents_app/stores.py", "agents_app/context_view.py"])
def test_user_scoped_reads_never_ask_about_admins(module):
    source = (ROOT / module).read_text(encoding="utf-8")
    for word in ("read_all", "has_navi_permission", "is_staff", "is_superuser", "Role.ADMIN"):
        assert word not in source, f"{module} mentions {word}"
