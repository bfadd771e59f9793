"""What the agent does for a user stays that user's (CONTRACT section 5), in real runs through the ASGI application.

Memory offered to the model, the memory and todo tools, sub-agents and switch_profile all act as the session's
user; an admin-only profile is unknown to a user without `navi.profiles.manage`.
"""

from __future__ import annotations

import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.conf import settings

from accounts_app.auth_sessions import auth_session_create
from accounts_app.models import User
from agents_app.models import MemoryFact, TodoItem
from agents_app.run_execution import run_input_for
from sessions_app.models import Message, Role, Session
from sessions_app.services.sessions import session_create
from tests.fakes.fake_ollama import script

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

A_MARK = "A-PRIVATE"


async def http(method: str, path: str, *, secret: str, body: dict | None = None) -> tuple[int, object]:
    """(status, JSON) of one request through navi_project.asgi.application with a bearer."""
    from navi_project.asgi import application

    data = json.dumps(body).encode() if body is not None else b""
    headers = [(b"host", b"localhost"), (b"authorization", f"Bearer {secret}".encode())]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(data)).encode()))
    communicator = HttpCommunicator(application, method, path, body=data, headers=headers)
    response = await communicator.get_response(timeout=30)
    await communicator.wait(timeout=10)
    return response["status"], json.loads(response["body"])


def tool_call(name: str, **arguments) -> dict:
    return {"name": name, "arguments": arguments}


@pytest.fixture
def people(settings):
    """A with memory facts and to-dos, B with one fact of their own, an admin, and a user granted profiles.manage."""
    settings.NAVI_AUTH_MODE = "oauth"
    settings.NAVI_RUNNER = "worker"  # runs are served by the `runner` fixture on the test's loop
    a = User.objects.create(username="ann", oauth_sub="sub-ann", role="user")
    b = User.objects.create(username="bob", oauth_sub="sub-bob", role="user")
    admin = User.objects.create(username="root", oauth_sub="sub-root", role="admin")
    manager = User.objects.create(
        username="mia", oauth_sub="sub-mia", role="user", permissions=["navi.profiles.manage"]
    )
    other = User.objects.create(
        username="ola", oauth_sub="sub-ola", role="user", permissions=["navi.sessions.read_all"]
    )
    MemoryFact.objects.create(user=a, category="profile", key="favourite colour", value=f"teal {A_MARK}")
    MemoryFact.objects.create(user=a, category="pets", key="dog", value=f"a beagle named Rex {A_MARK}")
    MemoryFact.objects.create(user=b, category="profile", key="favourite colour", value="ochre")
    todos = [TodoItem.objects.create(user=a, text=f"{A_MARK} pay rent"), TodoItem.objects.create(user=a, text="call")]
    users = {"a": a, "b": b, "admin": admin, "manager": manager, "other": other}
    secrets = {f"{name}_secret": auth_session_create(user=user) for name, user in users.items()}
    return {**users, **secrets, "a_todos": [t.id for t in todos]}


@database_sync_to_async
def new_session(user, profile_id="secretary") -> str:
    return str(session_create(user=user, profile_id=profile_id).id)


@database_sync_to_async
def tool_results(session_id) -> list[tuple[str, str]]:
    rows = Message.objects.filter(session_id=session_id, role=Role.TOOL).order_by("id")
    return [(m.name, m.content) for m in rows]


@database_sync_to_async
def rows_of_a(people) -> dict:
    return {
        "facts": sorted(MemoryFact.objects.filter(user=people["a"]).values_list("category", "key", "value")),
        "todos": list(TodoItem.objects.filter(user=people["a"]).order_by("id").values_list("id", "text", "done")),
    }


async def say(people, who: str, session_id: str, content: str) -> dict:
    """Send a message over the session's WebSocket with `who`'s bearer; the run's stream_end.

    (Over WebSocket rather than POST /messages: Django serves each HTTP request on a thread of its own, and the
    SQLite test database, in memory with a shared cache, refuses a second thread while the runner writes.)
    """
    from navi_project.asgi import application

    headers = [(b"host", b"localhost"), (b"authorization", f"Bearer {people[f'{who}_secret']}".encode())]
    ws = WebsocketCommunicator(application, f"/ws/sessions/{session_id}", headers=headers)
    connected, _ = await ws.connect(timeout=10)
    assert connected and await ws.receive_json_from(timeout=10) == {
        "type": "session_sync",
        "max_frame_bytes": settings.NAVI_MAX_MESSAGE_BYTES,
    }
    await ws.send_json_to({"type": "message", "content": content})
    while (event := await ws.receive_json_from(timeout=30))["type"] not in ("stream_end", "error"):
        pass
    await ws.disconnect()
    assert event["type"] == "stream_end", event
    return event


@database_sync_to_async
def memory_offered_to(user) -> str:
    built = run_input_for(profile_id="secretary", user_id=user.id, session_id=uuid.uuid4(), history=())
    return "".join(built.system_extras)


@database_sync_to_async
def todo_texts(user) -> list[str]:
    return list(TodoItem.objects.filter(user=user).order_by("id").values_list("text", flat=True))


def all_text(requests: list[dict]) -> str:
    return "\n".join(m.get("content") or "" for r in requests for m in r["messages"])


# --- Memory -------------------------------------------------------------------------------------------------


async def test_another_users_facts_never_reach_the_system_prompt_of_a_run(people, runner, fake_ollama):
    session_id = await new_session(people["b"])
    # Words that match A's facts best: were A's facts offered to B, these would rank first.
    await say(people, "b", session_id, "What is my favourite colour, and what is my dog Rex called?")
    requests = fake_ollama.requests()
    system = requests[-1]["messages"][0]
    assert system["role"] == "system" and "- [profile] favourite colour: ochre (confidence 80%)" in system["content"]
    assert A_MARK not in all_text(requests)

    status, context = await http("GET", f"/sessions/{session_id}/context", secret=people["b_secret"])
    assert status == 200 and "ochre" in context["context"][0]["content"]
    assert A_MARK not in json.dumps(context)

    # What the runner builds for a run of each user: their own facts, or nothing for a user who has none.
    assert "ochre" in await memory_offered_to(people["b"]) and A_MARK not in await memory_offered_to(people["b"])
    assert await memory_offered_to(people["manager"]) == ""
    offered_to_a = await memory_offered_to(people["a"])
    assert A_MARK in offered_to_a and "ochre" not in offered_to_a


async def test_the_memory_and_todo_tools_in_a_run_see_and_change_only_the_sessions_user(people, runner, fake_ollama):
    session_id = await new_session(people["b"])
    before = await rows_of_a(people)
    rent, _call = people["a_todos"]
    calls = [
        tool_call("memory", action="recall", query="favourite colour dog Rex beagle"),
        tool_call("memory", action="forget", key="dog"),
        tool_call("memory", action="remember", category="profile", key="favourite colour", value="olive"),
        tool_call("todo", action="list"),
        tool_call("todo", action="complete", id=rent),
        tool_call("todo", action="delete", id=rent),
        tool_call("todo", action="add", text="B's own errand"),
    ]
    await say(people, "b", session_id, "tidy up " + script({"tool_calls": calls}, {"content": "Tidied."}))
    results = await tool_results(session_id)
    assert [name for name, _ in results] == ["memory", "memory", "memory", "todo", "todo", "todo", "todo"]
    recall, forget, remember, listed, complete, delete, add = [content for _, content in results]
    assert recall == "- [profile] favourite colour: ochre (confidence 80%)"
    assert forget.startswith("Error: nothing is remembered under the key 'dog'")
    assert remember == "Updated [profile] favourite colour: olive (confidence 80%)"  # B's fact, not A's
    assert listed == "The to-do list is empty."
    assert complete == f"Error: no to-do item #{rent}" and delete == f"Error: no to-do item #{rent}"
    assert add.startswith("Added #") and add.endswith("[ ] B's own errand")
    assert await rows_of_a(people) == before
    assert await todo_texts(people["b"]) == ["B's own errand"]


# --- Sub-agents and switch_profile run as the session's user -------------------------------------------------------


async def test_a_sub_agent_reads_and_writes_memory_and_todos_as_the_sessions_user(people, runner, fake_ollama):
    session_id = await new_session(people["b"])
    before = await rows_of_a(people)
    fake_ollama.add_rule(
        "SUBTASK-42",
        [
            {"tool_calls": [tool_call("memory", action="recall", query="favourite colour dog Rex"),
                            tool_call("memory", action="remember", key="sub-agent note", value="from the sub-agent"),
                            tool_call("todo", action="add", text="sub-agent errand"),
                            tool_call("todo", action="list")]},
            {"content": "Sub-agent done."},
        ],
    )  # fmt: skip
    parent = script({"tool_calls": [tool_call("spawn_agent", task="SUBTASK-42: note things")]}, {"content": "Done."})
    await say(people, "b", session_id, "delegate " + parent)
    assert await tool_results(session_id) == [("spawn_agent", "Sub-agent done.")]

    sub_requests = [r for r in fake_ollama.requests() if r["messages"][1]["content"].startswith("SUBTASK-42")]
    assert len(sub_requests) == 2  # the sub-agent's tool turn and its answer
    results = [m["content"] for m in sub_requests[1]["messages"] if m["role"] == "tool"]
    assert results[0] == "- [profile] favourite colour: ochre (confidence 80%)"
    assert results[3].endswith("[ ] sub-agent errand") and "\n" not in results[3]  # B's list: only B's item
    assert A_MARK not in all_text(fake_ollama.requests())

    @database_sync_to_async
    def written():
        return (
            list(MemoryFact.objects.filter(key="sub-agent note").values_list("user_id", flat=True)),
            list(TodoItem.objects.filter(text="sub-agent errand").values_list("user_id", flat=True)),
        )

    facts, todos = await written()
    assert facts == [people["b"].id] and todos == [people["b"].id]
    assert await rows_of_a(people) == before


@database_sync_to_async
def profile_of(session_id) -> str:
    return Session.objects.get(id=session_id).profile_id


@pytest.mark.parametrize(("who", "switched"), [("b", False), ("other", False), ("admin", True), ("manager", True)])
async def test_switch_profile_to_an_admin_only_profile_is_unknown_to_a_plain_user(
    people, runner, fake_ollama, who, switched
):
    session_id = await new_session(people[who])
    calls = [tool_call("switch_profile", profile_id="server_admin"), tool_call("switch_profile", profile_id="nope")]
    await say(people, who, session_id, "switch " + script({"tool_calls": calls}, {"content": "ok"}))
    (_, to_admin), (_, to_nothing) = await tool_results(session_id)
    offered = "secretary, server_admin" if switched else "secretary"
    assert to_nothing == f"Error: there is no profile 'nope' (profiles you can use: {offered})"
    if switched:
        assert to_admin.startswith("Switched the session to profile 'server_admin'")
        assert await profile_of(session_id) == "server_admin"
    else:
        # Answered exactly as for a profile that does not exist.
        assert to_admin == to_nothing.replace("'nope'", "'server_admin'")
        assert await profile_of(session_id) == "secretary"


@pytest.mark.parametrize(("who", "allowed"), [("b", False), ("admin", True), ("manager", True)])
async def test_a_sub_agent_runs_an_admin_only_profile_only_for_a_user_who_may_use_it(
    people, runner, fake_ollama, who, allowed
):
    session_id = await new_session(people[who])
    spawn = tool_call("spawn_agent", task="SUBTASK-7: check the disks", profile_id="server_admin")
    await say(people, who, session_id, "delegate " + script({"tool_calls": [spawn]}, {"content": "ok"}))
    [(_, result)] = await tool_results(session_id)
    sub_requests = [r for r in fake_ollama.requests() if r["messages"][1]["content"].startswith("SUBTASK-7")]
    if allowed:
        assert result.startswith("Echo: SUBTASK-7")
        assert sub_requests[0]["messages"][0]["content"].startswith("You are Navi in server-administration mode.")
    else:
        assert result == "Error: there is no profile 'server_admin' (profiles you can use: secretary)"
        assert sub_requests == []


# --- Admin-only profiles over REST --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees_admin_profile"), [("b", False), ("other", False), ("admin", True), ("manager", True)]
)
async def test_an_admin_only_profile_is_listed_only_for_users_with_profiles_manage(people, who, sees_admin_profile):
    status, profiles = await http("GET", "/agents/profiles", secret=people[f"{who}_secret"])
    assert status == 200
    ids = [p["id"] for p in profiles]
    assert "secretary" in ids
    assert ("server_admin" in ids) is sees_admin_profile


@pytest.mark.parametrize(("who", "may"), [("b", False), ("other", False), ("admin", True), ("manager", True)])
async def test_creating_a_session_with_an_admin_only_profile_answers_as_if_it_did_not_exist(people, who, may):
    user, secret = people[who], people[f"{who}_secret"]
    status, body = await http("POST", "/sessions", secret=secret, body={"profile_id": "server_admin"})
    count = database_sync_to_async(lambda: Session.objects.filter(user=user, profile_id="server_admin").count())
    if may:
        assert status == 201 and body["profile_id"] == "server_admin"
        assert await count() == 1
        status, detail = await http("GET", f"/sessions/{body['session_id']}", secret=secret)
        assert status == 200 and detail["profile_id"] == "server_admin"
    else:
        missing = await http("POST", "/sessions", secret=secret, body={"profile_id": "no_such_profile"})
        assert (status, body) == (404, {"detail": "Profile 'server_admin' not found",
                                        "error": "Profile 'server_admin' not found"})  # fmt: skip
        assert missing == (404, json.loads(json.dumps(body).replace("server_admin", "no_such_profile")))
        assert await count() == 0
