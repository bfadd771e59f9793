"""Writes of agents_app outside the runner: the operators' profile availability overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from agents_app.models import ProfileAvailability
from agents_app.profiles import profile_catalog
from navi_project.errors import ApplicationError

if TYPE_CHECKING:
    from accounts_app.models import User


@dataclass(frozen=True)
class AvailabilityChange:
    profile_id: str
    profile_name: str
    was_admin_only: bool  # in effect before
    is_admin_only: bool | None  # in effect after; None when no profile file defines it any more
    had_override: bool
    has_override: bool

    @property
    def changed(self) -> bool:
        return (self.was_admin_only, self.had_override) != (self.is_admin_only, self.has_override)


@transaction.atomic
def profile_availability_set(*, profile_id: str, is_admin_only: bool, by: User | None) -> AvailabilityChange:
    """Store the override of the profile's `is_admin_only`, which wins over its file; 404 for a profile no file
    defines."""
    profile = profile_catalog().get(profile_id)
    if profile is None:
        raise ApplicationError(f"Profile {profile_id!r} not found", 404)
    current = ProfileAvailability.objects.select_for_update().filter(profile_id=profile.id).first()
    was = current.is_admin_only if current is not None else profile.is_admin_only
    if current is None or current.is_admin_only != is_admin_only:
        ProfileAvailability.objects.update_or_create(
            profile_id=profile.id, defaults={"is_admin_only": is_admin_only, "updated_by": by}
        )
    return AvailabilityChange(
        profile_id=profile.id,
        profile_name=profile.name,
        was_admin_only=was,
        is_admin_only=is_admin_only,
        had_override=current is not None,
        has_override=True,
    )


@transaction.atomic
def profile_availability_reset(*, profile_id: str) -> AvailabilityChange:
    """Drop the override, so the profile file's own `is_admin_only` holds again (the file may be gone by now)."""
    current = ProfileAvailability.objects.select_for_update().filter(profile_id=profile_id).first()
    profile = profile_catalog().get(profile_id)
    if current is None and profile is None:
        raise ApplicationError(f"Profile {profile_id!r} not found", 404)
    if current is not None:
        current.delete()
    file_value = profile.is_admin_only if profile is not None else None
    return AvailabilityChange(
        profile_id=profile_id,
        profile_name=profile.name if profile is not None else profile_id,
        was_admin_only=current.is_admin_only if current is not None else file_value,
        is_admin_only=file_value,
        had_override=current is not None,
        has_override=False,
    )
