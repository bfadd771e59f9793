"""An example user tool: roll dice. Copy this file to start a tool of your own (see docs/user-tools.md)."""

from __future__ import annotations

import random
import re

from agents_app.engine.tools import Tool, ToolContext, ToolError

_NOTATION = re.compile(r"^\s*(\d{1,3})?\s*d\s*(\d{1,4})\s*([+-]\s*\d{1,4})?\s*$", re.IGNORECASE)


async def roll_dice(args: dict, ctx: ToolContext) -> str:
    match = _NOTATION.match(str(args.get("dice") or "1d6"))
    if not match:
        # A ToolError's message goes back to the model as the result, with `success: false`.
        raise ToolError("`dice` must look like 2d6, d20 or 3d8+2")
    count, sides = int(match.group(1) or 1), int(match.group(2))
    bonus = int((match.group(3) or "0").replace(" ", ""))
    if not 1 <= count <= 100 or sides < 2:
        raise ToolError("roll 1 to 100 dice with at least 2 sides each")
    rolls = [random.randint(1, sides) for _ in range(count)]
    return f"Rolled {args.get('dice') or '1d6'}: {rolls} -> total {sum(rolls) + bonus}"


TOOLS = [
    Tool(
        name="roll_dice",
        description="Roll dice in the usual notation (2d6, d20, 3d8+2) and return each roll and the total.",
        parameters={
            "type": "object",
            "properties": {"dice": {"type": "string", "description": "Dice notation, e.g. 2d6 (default 1d6)"}},
            "required": [],
        },
        run=roll_dice,
        timeout=5.0,
    )
]
