from django.conf import settings
from django.db import models
from django.db.models import Q

from navi_project.models import BaseModel

PREVIEW_CHARS = 60  # of a session's last message with text, in the session list


class Session(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="navi_sessions")
    profile_id = models.CharField(max_length=100)
    name = models.CharField(max_length=100, null=True, blank=True)
    pinned = models.BooleanField(default=False)
    # Ollama's prompt_eval_count + eval_count of the last model call.
    context_token_count = models.PositiveIntegerField(default=0)
    max_context_tokens = models.PositiveIntegerField(null=True, blank=True)
    last_active = models.DateTimeField(db_index=True)
    # What the session list shows of the display history, kept with it by sessions_app.services.messages in the
    # transaction that writes a message: the rows in display, and the end of the last one with text.
    message_count = models.PositiveIntegerField(default=0)
    preview = models.CharField(max_length=PREVIEW_CHARS, blank=True, default="")
    # The session as GET /sessions lists it, a JSON object as text, written by the database's triggers (migration
    # 0006) on every insert and every update of the fields it shows, whatever the path (message_count is
    # `F() + 1`): the list is these texts joined, with no per-row work in Python. Django remakes a SQLite table
    # for some schema changes (AlterField of most kinds, among others), which drops its triggers: a migration
    # that does so to this table must create them again (tests/sessions_app/test_listing.py fails without them).
    listing = models.TextField(default="", editable=False)

    class Meta:
        # The list's order, id last so that pages (`before`) never repeat or skip a session.
        indexes = [models.Index(fields=["user", "-pinned", "-last_active", "-id"])]


class Role(models.TextChoices):
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"
    SYSTEM = "system"


class Message(models.Model):
    """One message. The display history and the model's context are two views of the same rows.

    Compression takes old rows out of the context (`in_context=False`) and adds a summary row that only the
    model sees; the display history (`in_display=True`) never loses a row.
    """

    id = models.BigAutoField(primary_key=True)  # ordering within a session
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="messages")
    run = models.ForeignKey("Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(null=True, blank=True)
    images = models.JSONField(default=list, blank=True)
    tool_calls = models.JSONField(default=list, blank=True)
    tool_call_id = models.CharField(max_length=100, null=True, blank=True)
    name = models.CharField(max_length=100, null=True, blank=True)
    thinking = models.TextField(null=True, blank=True)
    is_plan = models.BooleanField(default=False)
    is_compression = models.BooleanField(default=False)
    is_summary = models.BooleanField(default=False)
    elapsed_seconds = models.FloatField(null=True, blank=True)
    tool_call_count = models.PositiveIntegerField(null=True, blank=True)
    token_count = models.PositiveIntegerField(null=True, blank=True)
    truncated = models.BooleanField(default=False)  # the model was cut off at its token limit
    in_display = models.BooleanField(default=True)
    in_context = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["session", "id"])]


# What a message is, as opposed to where it shows (in_display, in_context): the columns a context copy carries
# over, that the engine's ChatMessage mirrors name for name, and that the API shows when set.
MESSAGE_FLAGS = ("is_plan", "is_compression", "is_summary", "truncated")
MESSAGE_STATS = ("elapsed_seconds", "tool_call_count", "token_count")
MESSAGE_BODY = (
    "role",
    "content",
    "images",
    "tool_calls",
    "tool_call_id",
    "name",
    "thinking",
    *MESSAGE_FLAGS,
    *MESSAGE_STATS,
)
MESSAGE_SHOWN = (*MESSAGE_BODY, "created_at")  # what the API shows of a message


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class Run(BaseModel):
    """One agent run: a user message and everything the agent does about it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    stop_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written by the runner every few seconds; a running run that stops checking in is taken as dead.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The answer streamed so far, saved with each heartbeat so a dead runner loses at most a few seconds.
    partial_content = models.TextField(blank=True, default="")
    # Fresh for each claim by a runner and cleared when the run ends: a runner's writes land only while the run
    # still holds its token, so one that was failed as stale (slow, not dead) cannot write into the session.
    owner_token = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [
            # One run at a time per session, enforced by the database so two front ends cannot both start one.
            models.UniqueConstraint(
                fields=["session"], condition=Q(status__in=["queued", "running"]), name="one_active_run_per_session"
            )
        ]


class PlanningLog(BaseModel):
    """One planning run: what each phase (analysis, reflect, plan) produced, for GET /sessions/{id}/planning."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="planning_logs")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="planning_logs")
    needs_plan = models.BooleanField(default=False)
    phases = models.JSONField(default=list)  # [{"phase": ..., "output": ...}, ...] in order

    class Meta:
        indexes = [models.Index(fields=["session", "created_at"])]
