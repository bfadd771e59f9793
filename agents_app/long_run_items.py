"""Storing the run items of long conversations: context compressions and planning traces."""

from __future__ import annotations

from uuid import UUID

from channels.db import database_sync_to_async

from agents_app.conversation import message_fields
from agents_app.engine import Compress, PlanningTrace
from sessions_app.services.run_progress import run_add_planning_log, run_compress_context


@database_sync_to_async
def store_long_run_item(item: Compress | PlanningTrace, *, session_id: UUID, run_id: UUID, owner_token: UUID) -> None:
    """Raises RunFenced (and stores nothing) when the run is not this runner's any more."""
    claim = {"session_id": session_id, "run_id": run_id, "owner_token": owner_token}
    if isinstance(item, Compress):
        run_compress_context(
            **claim,
            keep_recent=item.keep_recent,
            summary=message_fields(item.summary),
            marker=message_fields(item.marker),
        )
    else:
        run_add_planning_log(**claim, needs_plan=item.needs_plan, phases=list(item.phases))
