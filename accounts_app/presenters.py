"""Who is signed in, as the API shows it."""

from __future__ import annotations

from accounts_app.models import User


def user_me(user: User) -> dict:
    return {
        "id": str(user.id),
        "email": user.email,
        "display_name": user.display_name or user.username,
        "role": user.role,
        "permissions": user.effective_permissions,
    }


def webhook_answer(*, applied: bool) -> dict:
    """A delivery seen before changes nothing, and says so."""
    return {"ok": True} if applied else {"ok": True, "duplicate": True}
