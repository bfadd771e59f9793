from django.conf import settings
from django.db import models

from navi_project.models import BaseModel


class AuditAction(models.TextChoices):
    USER_ROLE = "user.role", "user role changed"
    PROFILE_AVAILABILITY = "profile.availability", "profile availability changed"
    PROFILE_AVAILABILITY_RESET = "profile.availability_reset", "profile availability reset to its file"


class AuditEntry(BaseModel):
    """Who changed what, when, from which value to which: one row per operator change. Never edited."""

    # Who: the user is kept as long as it exists, its name always (a deleted actor still reads as someone).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=300)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    # What: a user id or a profile id.
    target_id = models.CharField(max_length=100)
    target_name = models.CharField(max_length=300, blank=True)
    old_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["target_id", "-created_at"]), models.Index(fields=["action", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.actor_name}: {self.get_action_display()} {self.target_name or self.target_id}"
