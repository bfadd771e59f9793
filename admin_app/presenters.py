"""The /admin/* answers as plain dicts (like sessions_app.presenters): DRF serializers would cost more than the
queries on a page of 500. Their shape is the OutputSerializers' in admin_app/apis.py, which describe it for the
OpenAPI schema; tests/navi_project/test_openapi.py checks real answers against that schema."""

from __future__ import annotations

from dataclasses import asdict

from admin_app.selectors import Page, ProfileRow


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def session_row(row: dict) -> dict:
    return {
        "session_id": str(row["id"]),
        "profile_id": row["profile_id"],
        "user_id": str(row["user_id"]),
        "name": row["name"],
        "message_count": row["message_count"],
        "pinned": row["pinned"],
        "created_at": _iso(row["created_at"]),
        "last_active": _iso(row["last_active"]),
    }


def memory_fact_row(row: dict) -> dict:
    return {
        "id": str(row["id"]),
        "user_id": str(row["user_id"]),
        "category": row["category"],
        "key": row["key"],
        "value": row["value"],
        "source": row["source"],
        "confidence": row["confidence"],
        "updated_at": _iso(row["updated_at"]),
    }


def page_body(page: Page, item) -> dict:
    return {"total": page.total, "limit": page.limit, "offset": page.offset, "items": [item(r) for r in page.items]}


def user_row(user) -> dict:
    return {
        "id": str(user.id),
        "email": user.email,
        "display_name": user.display_name or user.username,
        "role": user.role,
        "permissions": list(user.permissions),
        "effective_permissions": user.effective_permissions,
        "is_active": user.is_active,
        "created_at": _iso(user.date_joined),
        "updated_at": _iso(user.updated_at),
    }


def profile_row(row: ProfileRow) -> dict:
    """Every field of the profile file but `system_prompt`, and what the file says of `is_admin_only`."""
    fields = asdict(row.profile)
    del fields["system_prompt"]
    fields["enabled_tools"] = list(fields["enabled_tools"])
    return {**fields, "is_admin_only_in_file": row.file_is_admin_only}
