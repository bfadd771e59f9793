"""`switch_profile`: the session continues with another profile from the next user message on.

The running turn keeps its profile; the client learns of the change from `profile_switched`, sent while the tool
runs (so it arrives after `tool_started` and before `tool_call`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from agents_app.engine.tools.base import Tool, ToolContext, ToolError
from navi_project import events


@dataclass(frozen=True)
class ProfileInfo:
    id: str
    name: str
    usable: bool  # False: admin-only and the user lacks the permission
    agent: Any = None  # the profile's engine AgentSpec


class ProfileDirectory(Protocol):
    async def lookup(self, user_id: str, profile_id: str) -> ProfileInfo | None: ...
    async def available(self, user_id: str) -> list[str]: ...
    async def switch(self, session_id: str, profile_id: str) -> None: ...


async def usable_profile(directory: ProfileDirectory, user_id: str, profile_id: Any) -> ProfileInfo:
    """The profile the user may use, or ToolError saying why not (shared with spawn_agent)."""
    if not isinstance(profile_id, str) or not profile_id.strip():
        raise ToolError("`profile_id` is required: the id of a profile")
    info = await directory.lookup(user_id, profile_id.strip())
    if info is None:
        offered = ", ".join(await directory.available(user_id)) or "none"
        raise ToolError(f"there is no profile {profile_id.strip()!r} (profiles you can use: {offered})")
    if not info.usable:
        raise ToolError(f"profile {info.id!r} is for administrators only; this user lacks navi.profiles.manage")
    return info


async def run_switch_profile(args: dict, ctx: ToolContext) -> str:
    if ctx.depth > 0:
        raise ToolError("only the main agent can switch the session's profile, not a sub-agent")
    info = await usable_profile(ctx.ports.profiles, ctx.user_id, args.get("profile_id"))
    if info.id == ctx.profile_id:
        return f"The session already uses profile {info.id!r} ({info.name})."
    await ctx.ports.profiles.switch(ctx.session_id, info.id)
    ctx.emit(events.profile_switched(info.id, info.name))
    return f"Switched the session to profile {info.id!r} ({info.name}); it takes effect from the next user message."


switch_profile_tool = Tool(
    name="switch_profile",
    description=(
        "Switch this session to another agent profile. The new profile answers from the user's next message on."
    ),
    parameters={
        "type": "object",
        "properties": {"profile_id": {"type": "string", "description": "The id of the profile to switch to"}},
        "required": ["profile_id"],
    },
    run=run_switch_profile,
    timeout=15.0,
)
