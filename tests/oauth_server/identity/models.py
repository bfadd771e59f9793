"""One account per user, carrying what the provider tells Navi about that user."""

import uuid

from django.conf import settings
from django.db import models


class Account(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin"
        USER = "user"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account")
    # The OIDC subject: stable across renames and e-mail changes, unlike the username.
    sub = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    permissions = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.sub})"
