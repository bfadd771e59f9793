from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from navi_project.errors import ApplicationError
from sessions_app.files import session_files_delete
from sessions_app.models import Session
from sessions_app.profile_port import profile_catalogue
from sessions_app.selectors import session_get_for_user

if TYPE_CHECKING:
    from accounts_app.models import User


def session_create(*, user: User, profile_id: str) -> Session:
    profile = profile_catalogue().profile_for_user(profile_id=profile_id, user=user)
    if profile is None:
        raise ApplicationError(f"Profile {profile_id!r} not found", 404)
    return Session.objects.create(
        user=user, profile_id=profile.id, max_context_tokens=profile.max_context_tokens, last_active=timezone.now()
    )


def session_set_pinned(*, user: User, session_id: UUID, pinned: bool) -> Session:
    session = session_get_for_user(user=user, session_id=session_id)
    session.pinned = pinned
    session.save(update_fields=["pinned", "updated_at"])
    return session


@transaction.atomic
def session_delete(*, user: User, session_id: UUID) -> None:
    _delete(session_get_for_user(user=user, session_id=session_id))


@transaction.atomic
def session_delete_by_operator(*, session: Session) -> None:
    """An operator's delete (the Django admin console): any user's session, its run stopped, its files gone."""
    _delete(session)


def _delete(session: Session) -> None:
    from sessions_app.services.runs import run_end_for_deleted_session

    # Locked first (as run writes lock it): a runner's write waits, then finds its run gone.
    list(Session.objects.select_for_update().filter(id=session.id).values_list("id"))
    run_end_for_deleted_session(session_id=session.id)
    session_id = session.id
    session.delete()
    # Files go once the row is surely gone; a failed delete rolls back and keeps both. A storage error is logged,
    # not raised: the session is gone either way, and cleanup_session_files removes folders of no session.
    transaction.on_commit(lambda: session_files_delete(session_id=session_id), robust=True)


def session_touch(*, session_id: UUID) -> None:
    Session.objects.filter(id=session_id).update(last_active=timezone.now())


def session_switch_profile(*, session_id: UUID, profile_id: str, max_context_tokens: int | None) -> None:
    """The session's next run uses `profile_id`. Precondition: the caller checked the user may use it."""
    Session.objects.filter(id=session_id).update(
        profile_id=profile_id, max_context_tokens=max_context_tokens, updated_at=timezone.now()
    )
