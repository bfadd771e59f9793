"""Cross-user reads for operators. The user-scoped selectors of the other apps never grow an "unless admin" branch:
reading across users happens here, behind the /admin/* permissions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, F, Q, QuerySet

from accounts_app.models import User
from agents_app.models import MemoryFact
from agents_app.profiles import Profile, profile_catalog, profiles_all
from navi_project.errors import ApplicationError
from sessions_app.models import Message, Session

# The sort fields of the v2 reference, each a column (nullable ones sort as the smallest value on every database).
SESSION_SORTS = ("last_active", "created_at", "name", "profile_id", "user_id", "pinned")
MEMORY_SORTS = ("updated_at", "category", "key", "confidence", "source")
_NULLABLE = {"name"}
_UUID_PART = re.compile(r"[0-9a-fA-F-]+")


@dataclass(frozen=True)
class Page:
    total: int
    limit: int
    offset: int
    items: list


@dataclass(frozen=True)
class ProfileRow:
    profile: Profile  # the availability override applied
    file_is_admin_only: bool  # what the profile's file says


def _ordered(rows: QuerySet, *, sort_by: str, descending: bool) -> QuerySet:
    """A total order: ties broken by id, so offset pages never repeat or skip a row."""
    column = F(sort_by)
    if sort_by in _NULLABLE:
        first = column.desc(nulls_last=True) if descending else column.asc(nulls_first=True)
    else:
        first = column.desc() if descending else column.asc()
    return rows.order_by(first, "-id" if descending else "id")


def _page(rows: QuerySet, *, limit: int, offset: int) -> tuple[int, list]:
    return rows.count(), list(rows[offset : offset + limit])


def session_list_all(
    *, search: str = "", sort_by: str = "last_active", descending: bool = True, limit: int, offset: int
) -> Page:
    """Every user's sessions. `search`: a case-insensitive part of the session id, name, user id or profile id."""
    sessions = Session.objects.all()
    if search:
        matches = Q(name__icontains=search) | Q(profile_id__icontains=search)
        if _UUID_PART.fullmatch(search):  # only then can it be part of an id: spare the casts of every id to text
            matches |= Q(id__icontains=search) | Q(user__id__icontains=search)
        sessions = sessions.filter(matches)
    fields = ("id", "profile_id", "user_id", "name", "pinned", "created_at", "last_active")
    total, rows = _page(
        _ordered(sessions, sort_by=sort_by, descending=descending).values(*fields), limit=limit, offset=offset
    )
    # Counted for the page's rows only (one grouped query), never for the whole table.
    counts = dict(
        Message.objects.filter(session_id__in=[r["id"] for r in rows], in_display=True)
        .values("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
    )
    for row in rows:
        row["message_count"] = counts.get(row["id"], 0)
    return Page(total=total, limit=limit, offset=offset, items=rows)


def _known_user(user_id: UUID) -> UUID:
    if not User.objects.filter(id=user_id).exists():
        raise ApplicationError("User not found", 404)
    return user_id


def memory_fact_list_all(
    *,
    search: str = "",
    sort_by: str = "updated_at",
    descending: bool = True,
    limit: int,
    offset: int,
    user_id: UUID | None = None,
) -> Page:
    """Every user's memory facts, or one user's (404 for an unknown user). `search`: a part of key, value or
    category, any case."""
    facts = MemoryFact.objects.all()
    if user_id is not None:
        facts = facts.filter(user_id=_known_user(user_id))
    if search:
        facts = facts.filter(Q(key__icontains=search) | Q(value__icontains=search) | Q(category__icontains=search))
    fields = ("id", "user_id", "category", "key", "value", "source", "confidence", "updated_at")
    total, rows = _page(
        _ordered(facts, sort_by=sort_by, descending=descending).values(*fields), limit=limit, offset=offset
    )
    return Page(total=total, limit=limit, offset=offset, items=rows)


def user_list_all() -> QuerySet[User]:
    """Every user, newest first."""
    return User.objects.order_by("-date_joined", "-id")


def profile_list_all() -> list[ProfileRow]:
    """Every profile, admin-only ones too, by id."""
    files = profile_catalog()
    return [
        ProfileRow(profile=p, file_is_admin_only=files[p.id].is_admin_only)
        for p in sorted(profiles_all(), key=lambda p: p.id)
    ]
