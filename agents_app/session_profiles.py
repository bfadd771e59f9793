"""The profile catalogue as `sessions_app` asks for it (see sessions_app.profile_port)."""

from __future__ import annotations

from agents_app.profiles import profile_get, user_may_use
from sessions_app.profile_port import SessionProfile


class AgentProfileCatalogue:
    def profile_for_user(self, *, profile_id: str, user) -> SessionProfile | None:
        profile = profile_get(profile_id=profile_id)
        if profile is None or not user_may_use(profile=profile, user=user):
            return None
        return SessionProfile(id=profile.id, max_context_tokens=profile.max_context_tokens)
