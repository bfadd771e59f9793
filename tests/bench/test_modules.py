"""The benchmark scripts are not run by the suite (they take minutes), but each must still import and offer its
entry point: a helper renamed in one script once broke another's import unseen."""

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if p.stem not in ("__init__", "streams"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_bench_script_imports_and_has_a_main(name):
    module = importlib.import_module(f"bench.{name}")
    assert callable(getattr(module, "main", None)), f"bench/{name}.py has no main()"
