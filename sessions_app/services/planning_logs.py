"""The planning log: each planning run's phase outputs, kept for GET /sessions/{id}/planning."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from sessions_app.models import PlanningLog, Session


def planning_log_add(*, session_id: UUID, run_id: UUID, needs_plan: bool, phases: list[tuple[str, str]]) -> PlanningLog:
    return PlanningLog.objects.create(
        session_id=session_id,
        run_id=run_id,
        needs_plan=needs_plan,
        phases=[{"phase": phase, "output": output} for phase, output in phases],
    )


def planning_log_list(*, session: Session) -> QuerySet[PlanningLog]:
    return session.planning_logs.order_by("created_at", "id")
