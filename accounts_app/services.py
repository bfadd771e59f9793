"""Writes to users: the local owner, and users as the OAuth server describes them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

from django.db import transaction

from accounts_app.auth_sessions import auth_sessions_end_for_user
from accounts_app.models import Role, User

OWNER_USERNAME = "owner"


@dataclass(frozen=True)
class UserClaims:
    """What the OAuth server says of a user (userinfo, or a webhook's `user`), already checked for shape."""

    sub: str
    email: str | None = None
    display_name: str | None = None
    role: str | None = None
    permissions: tuple[str, ...] | None = None


@transaction.atomic
def user_get_or_create_owner() -> User:
    """The built-in owner that every request acts as in auth mode `local`."""
    user, _ = User.objects.get_or_create(
        username=OWNER_USERNAME,
        defaults={"display_name": "Owner", "role": Role.ADMIN, "email": "owner@localhost"},
    )
    return user


@dataclass(frozen=True)
class RoleChange:
    user: User
    old_role: str

    @property
    def changed(self) -> bool:
        return self.old_role != self.user.role


def _keep_console_access_in_step(user: User) -> None:
    # Role admin reaches the Django admin console through the Navi login (accounts_app.middleware).
    user.is_staff = user.is_superuser = user.role == Role.ADMIN


def _apply(user: User, claims: UserClaims) -> None:
    if claims.email is not None:
        user.email = claims.email[:254]
    if claims.display_name is not None:
        user.display_name = claims.display_name[:200]
    if claims.role is not None:
        user.role = Role.ADMIN if claims.role == Role.ADMIN else Role.USER
    if claims.permissions is not None:
        user.permissions = list(claims.permissions)
    _keep_console_access_in_step(user)


@transaction.atomic
def user_sync_from_login(*, claims: UserClaims) -> User:
    """The one user of this `sub`, created at the first login, its fields refreshed at every login."""
    user = User.objects.select_for_update().filter(oauth_sub=claims.sub).first()
    if user is None:
        # Usernames are Django's and must be unique and short; the sub is the real key.
        username = "oauth-" + hashlib.sha256(claims.sub.encode()).hexdigest()[:32]
        user = User(oauth_sub=claims.sub, username=username, role=Role.USER)
        user.set_unusable_password()
    _apply(user, claims)
    user.save()
    return user


@transaction.atomic
def user_update_from_webhook(*, claims: UserClaims) -> bool:
    """`user.updated`: refresh the cached fields of a known user (an unknown one is created at its first login)."""
    user = User.objects.select_for_update().filter(oauth_sub=claims.sub).first()
    if user is None:
        return False
    _apply(user, claims)
    user.save()
    return True


@transaction.atomic
def user_deactivate(*, sub: str) -> bool:
    """`user.deleted`: end every auth session of the user and refuse them from now on."""
    user = User.objects.select_for_update().filter(oauth_sub=sub).first()
    if user is None:
        return False
    auth_sessions_end_for_user(user=user)
    user.is_active = user.is_staff = user.is_superuser = False
    user.save(update_fields=["is_active", "is_staff", "is_superuser", "updated_at"])
    return True


@transaction.atomic
def user_set_role(*, user_id: UUID, role: str) -> RoleChange:
    """Change the cached role (it holds until the user's next login or `user.updated`).

    404 for an unknown user, 400 for a role that is neither `admin` nor `user`, and 400 for demoting the last
    active admin: somebody must be left who can change roles back. The active admins are locked while counting,
    so two admins demoting each other at once cannot both succeed.
    """
    # Imported here: navi_project.errors loads DRF, whose settings load accounts_app.auth, which loads this module.
    from navi_project.errors import ApplicationError

    if role not in Role.values:
        raise ApplicationError(f"role must be one of: {', '.join(Role.values)}", 400)
    user = User.objects.select_for_update().filter(id=user_id).first()
    if user is None:
        raise ApplicationError("User not found", 404)
    old_role = user.role
    if old_role == role:
        return RoleChange(user=user, old_role=old_role)  # nothing to change (console-only accounts keep theirs)
    if old_role == Role.ADMIN and user.is_active:
        admins = list(User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True).values_list("id"))
        if len(admins) <= 1:
            raise ApplicationError("This is the last admin: make another user admin before demoting this one", 400)
    user.role = role
    _keep_console_access_in_step(user)
    user.save(update_fields=["role", "is_staff", "is_superuser", "updated_at"])
    return RoleChange(user=user, old_role=old_role)
