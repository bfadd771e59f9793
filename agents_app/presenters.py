"""Profiles, tools and a session's model context as the API shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents_app.profile_warnings import profile_warning

if TYPE_CHECKING:
    from agents_app.engine.tools import Tool
    from agents_app.profiles import Profile
    from sessions_app.models import Session


def profile_entry(profile: Profile) -> dict:
    return {**profile.summary(), "warning": profile_warning(profile)}


def tool_entry(tool: Tool) -> dict:
    return {"name": tool.name, "description": tool.description}


def session_context(session: Session, context: list[dict]) -> dict:
    return {
        "session_id": str(session.id),
        "profile_id": session.profile_id,
        "message_count": len(context),
        "total_chars": sum(len(m.get("content") or "") for m in context),
        "context": context,
    }
