import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models

# Every permission Navi checks; role `admin` holds all of them.
PERMISSIONS = ("navi.sessions.read_all", "navi.memory.read_all", "navi.profiles.manage")


class Role(models.TextChoices):
    ADMIN = "admin"
    USER = "user"


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.USER)
    # Permissions granted on top of the role (as the auth server reports them).
    permissions = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def effective_permissions(self) -> list[str]:
        if self.role == Role.ADMIN:
            return list(PERMISSIONS)
        return [p for p in self.permissions if p in PERMISSIONS]

    def has_navi_permission(self, permission: str) -> bool:
        return permission in self.effective_permissions
