"""`set_account`: change an existing user's claims or password; options left out stay as they are."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tests.oauth_server.identity.models import Account


class Command(BaseCommand):
    help = "Change a user's e-mail, display name, role, permissions, password or active flag."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email")
        parser.add_argument("--display-name")
        parser.add_argument("--role", choices=Account.Role.values)
        permissions = parser.add_mutually_exclusive_group()
        # Repeated --permission replaces the whole list; --no-permissions empties it.
        permissions.add_argument("--permission", action="append", dest="permissions")
        permissions.add_argument("--no-permissions", action="store_const", const=[], dest="permissions")
        parser.add_argument("--password")
        active = parser.add_mutually_exclusive_group()
        active.add_argument("--active", action="store_const", const=True, dest="is_active")
        active.add_argument("--inactive", action="store_const", const=False, dest="is_active")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user {options['username']!r}") from None
        with transaction.atomic():
            account, _ = Account.objects.get_or_create(user=user)
            if options["email"] is not None:
                user.email = options["email"]
            if options["password"] is not None:
                user.set_password(options["password"])
            if options["is_active"] is not None:
                user.is_active = options["is_active"]
            user.save()
            if options["display_name"] is not None:
                account.display_name = options["display_name"]
            if options["role"] is not None:
                account.role = options["role"]
            if options["permissions"] is not None:
                account.permissions = list(options["permissions"])
            account.save()
