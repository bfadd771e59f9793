from django.db import transaction

from accounts_app.models import Role, User

OWNER_USERNAME = "owner"


@transaction.atomic
def user_get_or_create_owner() -> User:
    """The built-in owner that every request acts as in auth mode `local`."""
    user, _ = User.objects.get_or_create(
        username=OWNER_USERNAME,
        defaults={"display_name": "Owner", "role": Role.ADMIN, "email": "owner@localhost"},
    )
    return user
