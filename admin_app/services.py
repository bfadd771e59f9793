"""Operators' changes: each one made by the owning app's service and written to the audit trail in the same
transaction (no change without its entry, no entry without its change)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction

from accounts_app.models import User
from accounts_app.services import RoleChange, user_set_role
from admin_app.models import AuditAction, AuditEntry
from agents_app.services import AvailabilityChange
from agents_app.services import profile_availability_reset as availability_reset
from agents_app.services import profile_availability_set as availability_set


def _name(user: User | None) -> str:
    """How the audit trail names a person: it outlives the user row."""
    if user is None:
        return "(nobody)"
    if user.display_name and user.email:
        return f"{user.display_name} <{user.email}>"
    return user.display_name or user.email or user.username


def audit_entry_create(
    *, actor: User | None, action: str, target_id: str, target_name: str = "", old_value: Any, new_value: Any
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=_name(actor)[:300],
        action=action,
        target_id=str(target_id)[:100],
        target_name=target_name[:300],
        old_value=old_value,
        new_value=new_value,
    )


@transaction.atomic
def user_role_change(*, actor: User, user_id: UUID, role: str) -> RoleChange:
    change = user_set_role(user_id=user_id, role=role)
    if change.changed:
        audit_entry_create(
            actor=actor,
            action=AuditAction.USER_ROLE,
            target_id=str(change.user.id),
            target_name=_name(change.user),
            old_value={"role": change.old_role},
            new_value={"role": change.user.role},
        )
    return change


def _availability_audit(*, actor: User, action: str, change: AvailabilityChange) -> None:
    if change.changed:
        audit_entry_create(
            actor=actor,
            action=action,
            target_id=change.profile_id,
            target_name=change.profile_name,
            old_value={"is_admin_only": change.was_admin_only, "overridden": change.had_override},
            new_value={"is_admin_only": change.is_admin_only, "overridden": change.has_override},
        )


@transaction.atomic
def profile_availability_change(*, actor: User, profile_id: str, is_admin_only: bool) -> AvailabilityChange:
    change = availability_set(profile_id=profile_id, is_admin_only=is_admin_only, by=actor)
    _availability_audit(actor=actor, action=AuditAction.PROFILE_AVAILABILITY, change=change)
    return change


@transaction.atomic
def profile_availability_reset(*, actor: User, profile_id: str) -> AvailabilityChange:
    """Drop the override (the console's delete): the profile file's value holds again."""
    change = availability_reset(profile_id=profile_id)
    _availability_audit(actor=actor, action=AuditAction.PROFILE_AVAILABILITY_RESET, change=change)
    return change
