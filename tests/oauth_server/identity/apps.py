"""App config of the test server's accounts."""

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "tests.oauth_server.identity"
    label = "identity"
    default_auto_field = "django.db.models.BigAutoField"
