"""switch_profile: the event order, the session's stored profile, and who may switch to what."""

from __future__ import annotations

from dataclasses import replace

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from accounts_app.models import Role, User
from agents_app.engine.tools import ToolPorts, ToolRegistry
from agents_app.engine.tools.switch_profile import switch_profile_tool
from agents_app.stores import DjangoProfileDirectory
from sessions_app.models import Session
from tests.agents_app.engine.helpers import collect, make_input, types
from tests.fakes.scripted_llm import ScriptedLLM, Turn

pytestmark = pytest.mark.django_db(transaction=True)


def switch_run(user, session, *targets: str, depth: int = 0):
    run = make_input(tools=["switch_profile"])
    run = replace(run, agent=replace(run.agent, profile_id=session.profile_id), user_id=str(user.id),
                  session_id=str(session.id), depth=depth)  # fmt: skip
    calls = [("switch_profile", {"profile_id": target}) for target in targets]
    llm = ScriptedLLM([Turn(tool_calls=calls), Turn(content=["Switched."])])
    ports = ToolPorts(profiles=DjangoProfileDirectory())
    return async_to_sync(collect)(run, llm, registry=ToolRegistry([switch_profile_tool]), ports=ports)


def new_session(role: str) -> tuple[User, Session]:
    user = User.objects.create(username=f"u-{role}", role=role)
    return user, Session.objects.create(user=user, profile_id="secretary", last_active=timezone.now())


def test_profile_switched_arrives_after_tool_started_and_before_tool_call_and_the_session_changes():
    admin, session = new_session(Role.ADMIN)
    events, _ = switch_run(admin, session, "server_admin")
    assert types(events) == [
        "stream_start", "tool_started", "profile_switched", "tool_call", "stream_delta", "stream_end",
    ]  # fmt: skip
    assert events[2] == {
        "type": "profile_switched", "profile_id": "server_admin", "profile_name": "Server Administrator",
    }  # fmt: skip
    assert events[3]["success"] is True
    assert events[3]["result"].startswith("Switched the session to profile 'server_admin'")
    session.refresh_from_db()
    assert session.profile_id == "server_admin"


def test_an_admin_only_profile_is_as_unknown_as_a_missing_one_to_a_user_without_the_permission():
    user, session = new_session(Role.USER)
    events, _ = switch_run(user, session, "server_admin", "no_such_profile")
    assert "profile_switched" not in types(events)
    results = [(e["success"], e["result"]) for e in events if e["type"] == "tool_call"]
    assert results == [
        (False, "Error: there is no profile 'server_admin' (profiles you can use: secretary)"),
        (False, "Error: there is no profile 'no_such_profile' (profiles you can use: secretary)"),
    ]
    session.refresh_from_db()
    assert session.profile_id == "secretary"

    user.permissions = ["navi.profiles.manage"]
    user.save()
    events, _ = switch_run(user, session, "server_admin")
    assert "profile_switched" in types(events)


def test_switching_to_the_current_profile_or_from_a_sub_agent_changes_nothing():
    admin, session = new_session(Role.ADMIN)
    events, _ = switch_run(admin, session, "secretary")
    assert "profile_switched" not in types(events)
    assert events[2]["result"] == "The session already uses profile 'secretary' (Personal Secretary)."
    events, _ = switch_run(admin, session, "server_admin", depth=1)
    assert events[2]["success"] is False and "not a sub-agent" in events[2]["result"]
    session.refresh_from_db()
    assert session.profile_id == "secretary"
