"""A streamable HTTP MCP server built with the SDK's MCPServer (FastMCP in SDK 1.x), for the tests.

python notes_server.py PORT MARKS_DIR: `slow` writes MARKS_DIR/slow-cancelled when a call is cancelled.
"""

from __future__ import annotations

import asyncio
import base64
import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image

PORT, MARKS = int(sys.argv[1]), Path(sys.argv[2])
# A 1x1 PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
server = MCPServer("notes")
NOTES = {"milk": "buy two litres"}


@server.tool()
async def slow(seconds: float) -> str:
    """Wait this many seconds, then say so."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        (MARKS / "slow-cancelled").write_text("cancelled")
        raise
    return f"waited {seconds} s"


@server.tool()
def lookup(key: str) -> dict:
    """Look a note up by its key."""
    if key not in NOTES:
        raise ToolError(f"no note called {key!r}")
    return {"key": key, "note": NOTES[key]}


@server.tool()
def picture() -> Image:
    """A tiny picture."""
    return Image(data=PIXEL, format="png")


server.run("streamable-http", host="127.0.0.1", port=PORT)
