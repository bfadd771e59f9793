"""Who may use the /admin/* endpoints (CONTRACT section 5): a Navi permission, or role admin."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts_app.models import Role


class NaviPermission(BasePermission):
    """Granted to users holding `permission` (role admin holds every Navi permission). 403 otherwise."""

    permission: str = ""

    @property
    def message(self) -> str:
        return f"This needs the permission {self.permission}"

    def has_permission(self, request, view) -> bool:
        user = request.user
        return user is not None and user.has_navi_permission(self.permission)


class ReadAllSessions(NaviPermission):
    permission = "navi.sessions.read_all"


class ReadAllMemory(NaviPermission):
    permission = "navi.memory.read_all"


class ManageProfiles(NaviPermission):
    permission = "navi.profiles.manage"


class AdminRole(BasePermission):
    """Role admin itself, not a permission: listing users and changing roles."""

    message = "This needs the role admin"

    def has_permission(self, request, view) -> bool:
        user = request.user
        return user is not None and user.role == Role.ADMIN
