"""The audited changes (admin_app.services) and the rules under them, in-process on the test database."""

from __future__ import annotations

import pytest

from accounts_app.models import User
from accounts_app.services import UserClaims, user_sync_from_login
from admin_app.models import AuditAction, AuditEntry
from admin_app.services import profile_availability_change, profile_availability_reset, user_role_change
from agents_app.models import ProfileAvailability
from agents_app.profiles import profile_get
from navi_project.errors import ApplicationError

pytestmark = pytest.mark.django_db


def _user(sub: str, role: str = "user") -> User:
    return user_sync_from_login(claims=UserClaims(sub=sub, email=f"{sub}@example.test", role=role))


def test_two_admins_may_demote_each_other_down_to_the_last_one():
    first, second = _user("first", "admin"), _user("second", "admin")
    user_role_change(actor=first, user_id=second.id, role="user")
    with pytest.raises(ApplicationError) as refused:
        user_role_change(actor=second, user_id=first.id, role="user")
    assert refused.value.status == 400 and "last admin" in refused.value.message
    first.refresh_from_db()
    assert first.role == "admin" and first.is_staff and first.is_superuser
    assert AuditEntry.objects.filter(action=AuditAction.USER_ROLE).count() == 1


def test_a_deactivated_admin_does_not_count_as_the_one_left():
    active, gone = _user("active", "admin"), _user("gone", "admin")
    User.objects.filter(id=gone.id).update(is_active=False)
    with pytest.raises(ApplicationError):
        user_role_change(actor=active, user_id=active.id, role="user")
    # Demoting the deactivated one is fine: it leaves the active admin.
    user_role_change(actor=active, user_id=gone.id, role="user")
    assert User.objects.get(id=gone.id).role == "user"


def test_a_role_change_keeps_staff_and_superuser_in_step_and_is_audited_with_old_and_new():
    admin, user = _user("boss", "admin"), _user("worker")
    assert not user.is_staff
    change = user_role_change(actor=admin, user_id=user.id, role="admin")
    assert change.changed and change.old_role == "user"
    user.refresh_from_db()
    assert (user.role, user.is_staff, user.is_superuser) == ("admin", True, True)
    entry = AuditEntry.objects.get()
    assert entry.actor == admin and entry.actor_name == "boss@example.test"
    assert entry.target_id == str(user.id) and entry.target_name == "worker@example.test"
    assert (entry.old_value, entry.new_value) == ({"role": "user"}, {"role": "admin"})
    assert entry.created_at is not None
    # The same role again changes nothing and writes nothing.
    assert not user_role_change(actor=admin, user_id=user.id, role="admin").changed
    assert AuditEntry.objects.count() == 1


def test_a_console_only_superuser_keeps_its_console_when_its_role_is_set_to_what_it_is(django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="pw", email="root@example.test")
    user_role_change(actor=root, user_id=root.id, role="user")
    root.refresh_from_db()
    assert root.is_superuser and root.is_staff


def test_the_audited_availability_override_and_its_reset():
    manager = _user("manager")
    assert profile_get(profile_id="server_admin").is_admin_only is True
    profile_availability_change(actor=manager, profile_id="server_admin", is_admin_only=False)
    assert profile_get(profile_id="server_admin").is_admin_only is False
    assert ProfileAvailability.objects.get().updated_by == manager
    profile_availability_change(actor=manager, profile_id="server_admin", is_admin_only=False)  # no change
    profile_availability_reset(actor=manager, profile_id="server_admin")
    assert profile_get(profile_id="server_admin").is_admin_only is True and not ProfileAvailability.objects.exists()
    entries = list(AuditEntry.objects.order_by("created_at").values_list("action", "old_value", "new_value"))
    assert entries == [
        (
            AuditAction.PROFILE_AVAILABILITY,
            {"is_admin_only": True, "overridden": False},
            {"is_admin_only": False, "overridden": True},
        ),
        (
            AuditAction.PROFILE_AVAILABILITY_RESET,
            {"is_admin_only": False, "overridden": True},
            {"is_admin_only": True, "overridden": False},
        ),
    ]


def test_an_override_equal_to_the_file_is_still_stored_and_audited():
    manager = _user("manager")
    profile_availability_change(actor=manager, profile_id="secretary", is_admin_only=False)
    assert ProfileAvailability.objects.get().profile_id == "secretary"
    assert AuditEntry.objects.get().new_value == {"is_admin_only": False, "overridden": True}


def test_an_unknown_profile_is_404_and_leaves_no_trace():
    with pytest.raises(ApplicationError) as unknown:
        profile_availability_change(actor=_user("m"), profile_id="nope", is_admin_only=True)
    assert unknown.value.status == 404
    assert not ProfileAvailability.objects.exists() and not AuditEntry.objects.exists()
