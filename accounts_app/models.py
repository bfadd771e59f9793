import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from navi_project.models import BaseModel

# Every permission Navi checks; role `admin` holds all of them.
PERMISSIONS = ("navi.sessions.read_all", "navi.memory.read_all", "navi.profiles.manage")


class Role(models.TextChoices):
    ADMIN = "admin"
    USER = "user"


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The user's stable id at the OAuth server (userinfo `sub`); unset for the local owner and console-only users.
    oauth_sub = models.CharField(max_length=255, unique=True, null=True, blank=True)
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

    def get_short_name(self) -> str:
        # Usernames of OAuth users are hashes of their `sub`: the console greets them by name instead.
        return self.display_name or self.email or self.username

    def __str__(self) -> str:
        return self.email or self.display_name or self.username


class AuthSession(BaseModel):
    """A signed-in browser or app. Only the SHA-256 of its secret id is stored: a leaked table logs nobody in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auth_sessions")
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True, db_index=True)
    user_agent = models.CharField(max_length=300, blank=True)
    is_mobile = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["user", "ended_at"])]


class LoginAttempt(BaseModel):
    """One `GET /auth/login`: its state and PKCE verifier, bound to the browser that started it, used once."""

    state_hash = models.CharField(max_length=64, unique=True)
    # SHA-256 of the `navi_login` cookie given to the browser that started the login.
    browser_hash = models.CharField(max_length=64)
    code_verifier = models.CharField(max_length=128)
    mobile = models.BooleanField(default=False)
    used_at = models.DateTimeField(null=True, blank=True)


class WebhookDelivery(models.Model):
    """A webhook delivery id already applied: a redelivery changes nothing."""

    id = models.CharField(max_length=200, primary_key=True)
    event = models.CharField(max_length=50)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
