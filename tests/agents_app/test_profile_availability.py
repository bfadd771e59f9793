"""The availability override (agents_app.models.ProfileAvailability) as agents_app.profiles reads it: from the
database at every check, so a row another process writes holds at the next check, with no cache to reset."""

from __future__ import annotations

import pytest

from accounts_app.services import UserClaims, user_sync_from_login
from agents_app.models import ProfileAvailability
from agents_app.profiles import profile_get, profiles_all, profiles_for_user, user_may_use
from agents_app.stores import DjangoProfileDirectory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user():
    return user_sync_from_login(claims=UserClaims(sub="plain", role="user"))


@pytest.fixture
def manager():
    return user_sync_from_login(claims=UserClaims(sub="manager", permissions=("navi.profiles.manage",)))


def test_an_override_written_elsewhere_holds_at_the_next_check(user, manager):
    assert "server_admin" not in {p.id for p in profiles_for_user(user=user)}
    ProfileAvailability.objects.create(profile_id="server_admin", is_admin_only=False)  # as another process would
    assert "server_admin" in {p.id for p in profiles_for_user(user=user)}
    assert user_may_use(profile=profile_get(profile_id="server_admin"), user=user)
    ProfileAvailability.objects.filter(profile_id="server_admin").update(is_admin_only=True)
    assert not user_may_use(profile=profile_get(profile_id="server_admin"), user=user)
    assert user_may_use(profile=profile_get(profile_id="server_admin"), user=manager)
    ProfileAvailability.objects.all().delete()  # back to the file's value
    assert profile_get(profile_id="server_admin").is_admin_only is True


def test_an_override_can_close_a_profile_its_file_opens(user):
    ProfileAvailability.objects.create(profile_id="secretary", is_admin_only=True)
    assert profile_get(profile_id="secretary").is_admin_only is True
    assert "secretary" not in {p.id for p in profiles_for_user(user=user)}
    assert {p.id: p.is_admin_only for p in profiles_all()}["secretary"] is True


def test_each_check_is_one_small_query(user, django_assert_num_queries):
    with django_assert_num_queries(1):
        profile_get(profile_id="secretary")
    with django_assert_num_queries(1):
        profiles_for_user(user=user)
    with django_assert_num_queries(0):
        assert profile_get(profile_id="no-such-profile") is None


@pytest.mark.asyncio
async def test_the_tools_profile_directory_sees_the_override_at_once(user):
    directory = DjangoProfileDirectory()
    assert await directory.lookup(str(user.id), "server_admin") is None
    await ProfileAvailability.objects.acreate(profile_id="server_admin", is_admin_only=False)
    info = await directory.lookup(str(user.id), "server_admin")
    assert info is not None and info.id == "server_admin"
    assert "server_admin" in await directory.available(str(user.id))
