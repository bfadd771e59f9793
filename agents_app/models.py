from django.conf import settings
from django.db import models

from navi_project.models import BaseModel


class TodoItem(models.Model):
    """An item of a user's to-do list. Small integer ids, because the model and the user say "#3"."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="todo_items")
    text = models.TextField()
    done = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]


class MemoryFact(BaseModel):
    """Something the agent remembers about a user; one value per (category, key)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memory_facts")
    category = models.CharField(max_length=50, default="general")
    key = models.CharField(max_length=200)
    value = models.TextField()
    source = models.CharField(max_length=50, default="conversation")
    confidence = models.PositiveSmallIntegerField(default=80)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "category", "key"], name="memory_fact_unique_key"),
            models.CheckConstraint(condition=models.Q(confidence__lte=100), name="memory_fact_confidence_max_100"),
        ]
        indexes = [models.Index(fields=["user", "-updated_at"])]


class ProfileAvailability(models.Model):
    """An operator's override of a profile file's `is_admin_only` (PATCH /admin/profiles/{id}/availability).

    It wins over the file's value. Read from the database at every check, so a change made through one server
    process holds at once in every other one (front ends and runner workers alike).
    """

    profile_id = models.CharField(max_length=100, primary_key=True)
    is_admin_only = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "profile availability overrides"

    def __str__(self) -> str:
        return f"{self.profile_id}: {'admin only' if self.is_admin_only else 'everyone'}"
