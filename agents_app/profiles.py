"""Agent profiles: one YAML file per profile in NAVI_PROFILES_DIR.

A file that does not parse, or names an unknown tool, is reported by name and left out; the others still load.
"""

from __future__ import annotations

import logging
from collections.abc import Container
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from agents_app.engine import AgentSpec

if TYPE_CHECKING:
    from accounts_app.models import User

logger = logging.getLogger(__name__)

_FIELDS = {
    "id", "name", "description", "llm_backend", "model", "enabled_tools", "system_prompt", "planning_enabled",
    "is_admin_only", "think", "think_in_side_calls", "max_context_tokens", "max_iterations", "options",
    "approval_required",
}  # fmt: skip


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    model: str
    description: str = ""
    llm_backend: str = "ollama"
    enabled_tools: tuple[str, ...] = ()
    system_prompt: str = ""
    planning_enabled: bool = False
    is_admin_only: bool = False
    think: bool = False
    think_in_side_calls: bool = False
    max_context_tokens: int | None = None
    max_iterations: int = 20
    options: dict = field(default_factory=dict)
    # Tools whose calls wait for the user's approval (`mcp:<server>` names all of a server's tools).
    approval_required: tuple[str, ...] = ()

    def agent_spec(self) -> AgentSpec:
        from agents_app.tool_registry import expand_tools

        return AgentSpec(
            profile_id=self.id,
            name=self.name,
            model=self.model,
            system_prompt=self.system_prompt,
            tools=expand_tools(self.enabled_tools),
            approval_required=expand_tools(self.approval_required),
            think=self.think,
            options=self.options,
            max_iterations=self.max_iterations,
            max_context_tokens=self.max_context_tokens,
            default_context_tokens=_default_context_tokens(),
            planning_enabled=self.planning_enabled,
            think_in_side_calls=self.think_in_side_calls,
        )

    def summary(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "enabled_tools": list(_expanded(self.enabled_tools)),
            "llm_backend": self.llm_backend,
            "model": self.model,
        }


def _expanded(names) -> tuple[str, ...]:
    from agents_app.tool_registry import expand_tools

    return expand_tools(names)


def _default_context_tokens() -> int:
    from django.conf import settings

    return settings.NAVI_DEFAULT_CONTEXT_TOKENS


class ProfileError(ValueError):
    pass


def _expect(data: dict, key: str, kind: type | tuple, default=None):
    value = data.get(key, default)
    if value is not None and not isinstance(value, kind) or isinstance(value, bool) and kind in (int, (int,)):
        raise ProfileError(f"`{key}` must be {getattr(kind, '__name__', kind)}")
    return value


def parse_profile(*, path: Path, known_tools: Container[str]) -> Profile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(f"cannot be read as YAML: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise ProfileError("must be a YAML mapping")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ProfileError(f"unknown field(s): {', '.join(unknown)}")
    profile_id = _expect(data, "id", str) or path.stem
    if profile_id != path.stem:
        raise ProfileError(f"`id: {profile_id}` does not match the file name {path.name}")
    tools = _expect(data, "enabled_tools", list, [])
    missing = [t for t in tools if t not in known_tools]
    if missing:
        raise ProfileError(f"names unknown tool(s): {', '.join(map(str, missing))}")
    approval = _expect(data, "approval_required", list, [])
    missing = [t for t in approval if t not in known_tools]
    if missing:
        raise ProfileError(f"`approval_required` names unknown tool(s): {', '.join(map(str, missing))}")
    backend = _expect(data, "llm_backend", str, "ollama")
    if backend != "ollama":
        raise ProfileError(f"`llm_backend: {backend}` is not supported (only ollama)")
    model = _expect(data, "model", str)
    if not model:
        raise ProfileError("`model` is required")
    for key in ("max_context_tokens", "max_iterations"):
        value = _expect(data, key, int)
        if value is not None and value < 1:
            raise ProfileError(f"`{key}` must be at least 1")
    return Profile(
        id=profile_id,
        name=_expect(data, "name", str) or profile_id,
        model=model,
        description=_expect(data, "description", str, "") or "",
        llm_backend=backend,
        enabled_tools=tuple(tools),
        system_prompt=_expect(data, "system_prompt", str, "") or "",
        planning_enabled=bool(_expect(data, "planning_enabled", bool, False)),
        is_admin_only=bool(_expect(data, "is_admin_only", bool, False)),
        think=bool(_expect(data, "think", bool, False)),
        think_in_side_calls=bool(_expect(data, "think_in_side_calls", bool, False)),
        max_context_tokens=_expect(data, "max_context_tokens", int),
        max_iterations=_expect(data, "max_iterations", int, 20) or 20,
        options=_expect(data, "options", dict, {}) or {},
        approval_required=tuple(approval),
    )


def load_profiles(*, folder: Path, known_tools: Container[str]) -> tuple[dict[str, Profile], dict[str, str]]:
    """All valid profiles by id, and the problems of the others by file name."""
    profiles: dict[str, Profile] = {}
    problems: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            profile = parse_profile(path=path, known_tools=known_tools)
        except ProfileError as exc:
            problems[path.name] = str(exc)
            continue
        profiles[profile.id] = profile
    return profiles, problems


_catalog: dict[str, Profile] | None = None


def profile_catalog() -> dict[str, Profile]:
    """The loaded profiles (read once per process; problems are logged by name)."""
    global _catalog
    if _catalog is None:
        from django.conf import settings

        from agents_app.tool_registry import known_tool_names

        _catalog, problems = load_profiles(folder=settings.NAVI_PROFILES_DIR, known_tools=known_tool_names())
        for name, problem in problems.items():
            logger.warning("profile %s left out: %s", name, problem)
    return _catalog


def reset_profile_catalog() -> None:
    global _catalog
    _catalog = None


def _availability(profile_ids: list[str] | None = None) -> dict[str, bool]:
    """The operators' `is_admin_only` overrides (agents_app.models.ProfileAvailability), read fresh every time:
    one small query, so a change made through any process holds at once in all of them."""
    from agents_app.models import ProfileAvailability

    rows = ProfileAvailability.objects.all()
    if profile_ids is not None:
        rows = rows.filter(profile_id__in=profile_ids)
    return dict(rows.values_list("profile_id", "is_admin_only"))


def _with_override(profile: Profile, overrides: dict[str, bool]) -> Profile:
    value = overrides.get(profile.id)
    return profile if value is None or value == profile.is_admin_only else replace(profile, is_admin_only=value)


def profiles_all() -> list[Profile]:
    """Every profile, admin-only ones included, with the operators' availability overrides applied."""
    overrides = _availability()
    return [_with_override(p, overrides) for p in profile_catalog().values()]


def profile_get(*, profile_id: str) -> Profile | None:
    """The profile with its availability override applied (its file's `is_admin_only` unless overridden)."""
    profile = profile_catalog().get(profile_id)
    return None if profile is None else _with_override(profile, _availability([profile.id]))


def user_may_use(*, profile: Profile, user: User) -> bool:
    """Precondition: `profile` comes from profile_get / profiles_all / profiles_for_user (override applied)."""
    return not profile.is_admin_only or user.has_navi_permission("navi.profiles.manage")


def profiles_for_user(*, user: User) -> list[Profile]:
    return [p for p in profiles_all() if user_may_use(profile=p, user=user)]
