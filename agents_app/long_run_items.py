"""Storing the run items of long conversations: context compressions and planning traces."""

from __future__ import annotations

from channels.db import database_sync_to_async

from agents_app.conversation import message_fields
from agents_app.engine import Compress, PlanningTrace
from sessions_app.services.compression import session_compress_context
from sessions_app.services.planning_logs import planning_log_add


@database_sync_to_async
def store_long_run_item(item: Compress | PlanningTrace, *, session_id: str, run_id: str) -> None:
    if isinstance(item, Compress):
        session_compress_context(
            session_id=session_id,
            run_id=run_id,
            keep_recent=item.keep_recent,
            summary=message_fields(item.summary),
            marker=message_fields(item.marker),
        )
    else:
        planning_log_add(session_id=session_id, run_id=run_id, needs_plan=item.needs_plan, phases=list(item.phases))
