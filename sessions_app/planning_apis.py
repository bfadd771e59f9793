"""GET /sessions/{id}/planning: the planning log of a session."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_app import presenters, schemas
from sessions_app.selectors import session_get_for_user, session_id_parse
from sessions_app.services.planning_logs import planning_log_list


class SessionPlanningApi(APIView):
    """GET /sessions/{id}/planning: one entry per planning run, with the output of each phase."""

    @extend_schema(operation_id="sessions_planning", responses=schemas.PlanningSerializer)
    def get(self, request, session_id: str):
        session = session_get_for_user(user=request.user, session_id=session_id_parse(session_id))
        return Response(presenters.session_planning(session, planning_log_list(session=session)))
