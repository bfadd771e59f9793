"""A ProfileDirectory over a dict, for engine tests that run without Django (the host's is in agents_app.stores)."""

from __future__ import annotations

from agents_app.engine import AgentSpec
from agents_app.engine.tools.switch_profile import ProfileInfo


class DictProfiles:
    def __init__(self, *agents: AgentSpec, admin_only: tuple[str, ...] = (), is_admin: bool = False) -> None:
        self.agents = {a.profile_id: a for a in agents}
        self.admin_only = set(admin_only)
        self.is_admin = is_admin
        self.switched: list[tuple[str, str]] = []

    def _usable(self, profile_id: str) -> bool:
        return self.is_admin or profile_id not in self.admin_only

    async def lookup(self, user_id: str, profile_id: str) -> ProfileInfo | None:
        agent = self.agents.get(profile_id)
        if agent is None:
            return None
        return ProfileInfo(id=agent.profile_id, name=agent.name, usable=self._usable(profile_id), agent=agent)

    async def available(self, user_id: str) -> list[str]:
        return [p for p in self.agents if self._usable(p)]

    async def switch(self, session_id: str, profile_id: str) -> None:
        self.switched.append((session_id, profile_id))
