"""The console's pages for sessions, messages, runs and planning logs: read-only (what agents and users wrote is
not the operator's to edit), with deletes that go through the services, so a session's files go with it.

Built for large tables: related rows are selected in the list's own query, the unfiltered count is skipped,
foreign keys are raw ids (no select of every session), and a session's page shows its newest messages only.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from sessions_app.models import ACTIVE_RUN_STATUSES, MESSAGE_FLAGS, Message, PlanningLog, Run, Session
from sessions_app.services.runs import run_request_stop_for_session
from sessions_app.services.sessions import session_delete_by_operator

# Messages shown on a session's page; the message list filtered by session has them all.
INLINE_MESSAGES = 100


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ViewOnlyAdmin(ReadOnlyAdmin):
    """Parts of a session: they go when the session goes, never one by one."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _session_link(session: Session) -> str:
    url = reverse("admin:sessions_app_session_change", args=[session.pk])
    return format_html('<a href="{}">{}</a>', url, session.name or str(session.pk))


def _text(value: str | None, length: int = 80) -> str:
    value = (value or "").strip()
    return value if len(value) <= length else value[: length - 1] + "…"


class NewestMessages(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_newest"):
            self._newest = super().get_queryset()[:INLINE_MESSAGES]
        return self._newest


class MessageInline(admin.TabularInline):
    model = Message
    formset = NewestMessages
    ordering = ("-id",)
    fields = ("id", "role", "text", "flags", "run_id", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = f"messages (the newest {INLINE_MESSAGES}, newest first)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="content")
    def text(self, message: Message) -> str:
        return _text(
            message.content or message.thinking or (f"tool calls: {message.tool_calls}" if message.tool_calls else ""),
            200,
        )

    @admin.display(description="flags")
    def flags(self, message: Message) -> str:
        shown = [name.removeprefix("is_") for name in MESSAGE_FLAGS if getattr(message, name)]
        if not message.in_display:
            shown.append("model only")
        if not message.in_context:
            shown.append("compressed away")
        return ", ".join(shown)


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "user_label", "profile_id", "pinned", "created_at", "last_active")
    list_filter = ("pinned", "profile_id")
    search_fields = ("id", "name", "profile_id", "user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("-last_active", "-id")
    fields = (
        "id", "name", "user", "profile_id", "pinned", "created_at", "last_active", "context_token_count",
        "max_context_tokens", "all_messages",
    )  # fmt: skip
    readonly_fields = fields
    inlines = [MessageInline]

    @admin.display(description="user", ordering="user__email")
    def user_label(self, session: Session) -> str:
        return session.user.email or session.user.display_name or session.user.username

    @admin.display(description="messages")
    def all_messages(self, session: Session) -> str:
        count = session.messages.count()
        url = reverse("admin:sessions_app_message_changelist") + f"?session__exact={session.pk}"
        return format_html('{} (<a href="{}">all of them</a>)', count, url)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            func, name, _ = actions["delete_selected"]
            actions["delete_selected"] = (func, name, "Delete selected sessions with their files")
        return actions

    def get_deleted_objects(self, objs, request):
        # Django would list every message and run of the sessions on the confirmation page: a count is enough.
        sessions = list(objs)
        counts = {
            "sessions": len(sessions),
            "messages": Message.objects.filter(session__in=sessions).count(),
            "runs": Run.objects.filter(session__in=sessions).count(),
        }
        shown: list = [_session_link(s) for s in sessions[:100]]
        if len(sessions) > 100:
            shown.append(f"... and {len(sessions) - 100} more")
        shown.append(f"{counts['messages']} messages, {counts['runs']} runs, and the files of each session")
        perms_needed = set() if self.has_delete_permission(request) else {"session"}
        return shown, counts, perms_needed, []

    def delete_model(self, request, obj: Session) -> None:
        session_delete_by_operator(session=obj)

    def delete_queryset(self, request, queryset) -> None:
        for session in queryset:
            session_delete_by_operator(session=session)


@admin.register(Message)
class MessageAdmin(ViewOnlyAdmin):
    list_display = ("id", "session_link", "role", "text", "in_display", "in_context", "created_at")
    list_filter = ("role", "is_plan", "is_summary", "in_display")
    search_fields = ("=session__id", "content")
    list_select_related = ("session",)
    raw_id_fields = ("session", "run")
    ordering = ("-id",)

    @admin.display(description="session")
    def session_link(self, message: Message) -> str:
        return _session_link(message.session)

    @admin.display(description="content")
    def text(self, message: Message) -> str:
        return _text(message.content)


@admin.register(Run)
class RunAdmin(ViewOnlyAdmin):
    list_display = (
        "id", "session_link", "status", "stop_requested", "created_at", "started_at", "finished_at", "duration",
        "heartbeat_at",
    )  # fmt: skip
    list_filter = ("status", "stop_requested")
    search_fields = ("=id", "=session__id", "error")
    list_select_related = ("session",)
    raw_id_fields = ("session",)
    ordering = ("-created_at", "-id")
    exclude = ("partial_content",)
    actions = ["request_stop"]

    @admin.display(description="session")
    def session_link(self, run: Run) -> str:
        return _session_link(run.session)

    @admin.display(description="duration")
    def duration(self, run: Run) -> str:
        if run.started_at is None or run.finished_at is None:
            return ""
        return f"{(run.finished_at - run.started_at).total_seconds():.1f} s"

    @admin.action(description="Stop the selected runs (wherever they run)")
    def request_stop(self, request, queryset):
        active = queryset.filter(status__in=ACTIVE_RUN_STATUSES)
        stopped = sum(run_request_stop_for_session(session_id=run.session_id) for run in active)
        self.message_user(request, f"Asked {stopped} run(s) to stop.", messages.SUCCESS)


@admin.register(PlanningLog)
class PlanningLogAdmin(ViewOnlyAdmin):
    list_display = ("id", "session_link", "run_id", "needs_plan", "phase_names", "created_at")
    list_filter = ("needs_plan",)
    search_fields = ("=session__id", "=run__id")
    list_select_related = ("session",)
    raw_id_fields = ("session", "run")
    ordering = ("-created_at", "-id")

    @admin.display(description="session")
    def session_link(self, log: PlanningLog) -> str:
        return _session_link(log.session)

    @admin.display(description="phases")
    def phase_names(self, log: PlanningLog) -> str:
        return " > ".join(str(p.get("phase")) for p in log.phases if isinstance(p, dict))
