"""User tools: loaded from NAVI_USER_TOOLS_DIR, broken files reported by name and skipped, listed by the API."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from agents_app import tool_registry as registry_module
from agents_app.engine.tools import builtin_tools
from agents_app.tool_registry import load_user_tools, reset_tool_registry, tool_registry

ROOT = Path(__file__).resolve().parents[3]
GOOD = """
from agents_app.engine.tools import Tool, ToolError

async def shout(args, ctx):
    if not args.get("text"):
        raise ToolError("`text` is required")
    return args["text"].upper()

TOOLS = [Tool(name="shout", description="Shout the text.",
              parameters={"type": "object", "properties": {"text": {"type": "string", "maxLength": 50}},
                          "required": ["text"]},
              run=shout, timeout=3)]
"""
LOOSE = """
from agents_app.engine.tools import Tool
from agents_app.engine.tools.todo import todo_tool  # imported, not this file's own: not loaded again

async def whisper(args, ctx):
    return str(args.get("text", "")).lower()

whisper_tool = Tool("whisper", "Whisper the text.", {"type": "object", "properties": {}}, whisper)
"""
BROKEN = {
    "syntax.py": "def oops(:\n",
    "raises.py": "raise RuntimeError('no config file')\n",
    "exits.py": "import sys\nsys.exit(3)\n",
    "empty.py": "X = 1\n",
    "clash.py": GOOD.replace('name="shout"', 'name="todo"'),
    "sync_body.py": GOOD.replace("async def shout", "def shout"),
    "twice.py": GOOD,  # `shout` is taken by good.py, which loads first
}


@pytest.fixture
def tools_dir(tmp_path):
    (tmp_path / "good.py").write_text(textwrap.dedent(GOOD))
    (tmp_path / "loose.py").write_text(textwrap.dedent(LOOSE))
    (tmp_path / "_helpers.py").write_text("raise RuntimeError('helpers are not loaded')\n")
    (tmp_path / "notes.txt").write_text("not python")
    for name, text in BROKEN.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_good_files_load_and_each_broken_one_is_reported_by_name(tools_dir):
    tools, problems = load_user_tools(tools_dir, {t.name for t in builtin_tools()})
    assert [(t.name, t.source) for t in tools] == [("shout", "user:good.py"), ("whisper", "user:loose.py")]
    assert sorted(problems) == sorted(BROKEN)
    assert problems["syntax.py"].startswith("failed to import: SyntaxError")
    assert problems["raises.py"] == "failed to import: RuntimeError: no config file"
    assert problems["exits.py"] == "failed to import: SystemExit: 3"
    assert problems["empty.py"] == "defines no Tool (see docs/user-tools.md)"
    assert problems["clash.py"] == "tool name 'todo' is already taken"
    assert problems["sync_body.py"] == "tool 'shout': `run` must be an async function (args, ctx) -> str"
    assert problems["twice.py"] == "tool name 'shout' is already taken"
    assert asyncio.run(tools[0].run({"text": "hi"}, None)) == "HI"


def test_a_missing_folder_means_no_user_tools(tmp_path):
    assert load_user_tools(tmp_path / "absent", set()) == ([], {})


@pytest.mark.django_db
def test_user_tools_are_listed_by_the_api_beside_the_builtins_and_problems_logged(tools_dir, settings, client, caplog):
    settings.NAVI_USER_TOOLS_DIR = tools_dir
    reset_tool_registry()
    try:
        with caplog.at_level("WARNING"):
            registry = tool_registry()
        listed = client.get("/agents/tools").json()
    finally:
        reset_tool_registry()
    names = [t["name"] for t in listed]
    assert names == [t.name for t in builtin_tools()] + ["shout", "whisper"]
    assert {"todo", "web_search", "web_fetch", "memory", "spawn_agent", "switch_profile"} <= set(names)
    assert {"name": "shout", "description": "Shout the text."} in listed
    assert registry.get("shout").spec()["function"]["parameters"]["properties"]["text"]["maxLength"] == 50
    assert sorted(registry_module.load_problems) == sorted(BROKEN)
    assert "user tool file syntax.py skipped: failed to import: SyntaxError" in caplog.text


def test_the_shipped_example_tool_loads_and_rolls_dice():
    tools, problems = load_user_tools(ROOT / "user_tools", set())
    assert problems == {} and [t.name for t in tools] == ["roll_dice"]
    text = asyncio.run(tools[0].run({"dice": "3d6+2"}, None))
    assert text.startswith("Rolled 3d6+2: [")
    rolls = [int(n) for n in text.split("[")[1].split("]")[0].split(", ")]
    assert len(rolls) == 3 and all(1 <= r <= 6 for r in rolls) and text.endswith(f"total {sum(rolls) + 2}")
