"""GET /sessions/{id}/planning: the planning log of a session."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_app import presenters, schemas
from sessions_app.selectors import session_get_for_user
from sessions_app.services.planning_logs import planning_log_list


class SessionPlanningApi(APIView):
    """GET /sessions/{id}/planning: one entry per planning run, with the output of each phase."""

    @extend_schema(operation_id="sessions_planning", responses=schemas.PlanningSerializer)
    def get(self, request, session_id):
        session = session_get_for_user(user=request.user, session_id=session_id)
        logs = [
            {
                "run_id": str(log.run_id) if log.run_id else None,
                "created_at": presenters.iso(log.created_at),
                "needs_plan": log.needs_plan,
                # The last phase reached and its output, then every phase in order.
                "phase": log.phases[-1]["phase"] if log.phases else None,
                "output": log.phases[-1]["output"] if log.phases else None,
                "phases": log.phases,
            }
            for log in planning_log_list(session=session)
        ]
        return Response({"session_id": str(session.id), "logs": logs})
