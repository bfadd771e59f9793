"""`create_account`: a user who can sign in, with the claims the provider gives Navi; prints the `sub`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tests.oauth_server.identity.models import Account


class Command(BaseCommand):
    help = "Create a user and its account, and print the account's subject id."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--role", choices=Account.Role.values, default=Account.Role.USER)
        parser.add_argument("--permission", action="append", default=[], dest="permissions")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        if User.objects.filter(username=options["username"]).exists():
            raise CommandError(f"User {options['username']!r} exists already")
        with transaction.atomic():
            user = User.objects.create_user(
                username=options["username"], password=options["password"], email=options["email"]
            )
            account = Account.objects.create(
                user=user,
                display_name=options["display_name"],
                role=options["role"],
                permissions=list(options["permissions"]),
            )
        self.stdout.write(str(account.sub))
