"""Channel-layer sends from synchronous code, made only after the transaction commits."""

from __future__ import annotations

import json
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from sessions_app.runlog import publish, run_control_group

RUNNER_CHANNEL = "agent-runner"


def send_after_commit(*, channel: str, message: dict) -> None:
    transaction.on_commit(lambda: async_to_sync(get_channel_layer().send)(channel, message))


def group_send_after_commit(*, group: str, message: dict) -> None:
    transaction.on_commit(lambda: async_to_sync(get_channel_layer().group_send)(group, message))


def run_enqueue(*, run_id: UUID) -> None:
    send_after_commit(channel=RUNNER_CHANNEL, message={"type": "run.start", "run_id": str(run_id)})


def run_signal_stop(*, run_id: UUID) -> None:
    group_send_after_commit(group=run_control_group(run_id), message={"type": "run.stop", "run_id": str(run_id)})


def publish_final_after_commit(*, session_id: UUID, run_id: UUID, event: dict) -> None:
    text = json.dumps(event)
    transaction.on_commit(
        lambda: async_to_sync(publish)(
            layer=get_channel_layer(), session_id=session_id, run_id=run_id, text=text, final=True
        )
    )
