"""`create_client`: register (or re-register) Navi as a confidential authorization-code client."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from oauth2_provider.models import get_application_model


class Command(BaseCommand):
    help = "Create or update a confidential authorization-code OIDC client that skips the consent page."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--client-secret", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        parser.add_argument("--name", default="Navi")

    def handle(self, *args: Any, **options: Any) -> None:
        Application = get_application_model()
        app = Application.objects.filter(client_id=options["client_id"]).first() or Application(
            client_id=options["client_id"]
        )
        app.name = options["name"]
        app.client_type = Application.CLIENT_CONFIDENTIAL
        app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
        app.redirect_uris = " ".join(options["redirect_uris"])
        # Plain here; the toolkit hashes it on save.
        app.client_secret = options["client_secret"]
        app.hash_client_secret = True
        app.skip_authorization = True
        app.algorithm = Application.RS256_ALGORITHM
        app.save()
        self.stdout.write(app.client_id)
