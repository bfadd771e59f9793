"""The Django admin console (/django-admin/) over real HTTP, as an `oauth` admin signed in through Navi: every
list opens (searched and filtered too), and its actions go through the services: a deleted session takes its
files, ended auth sessions close their sockets on every front end, a stopped run stops wherever it runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import websockets

from tests.e2e.client import Socket
from tests.e2e.oauth_users import new_account, signed_in
from tests.fakes.fake_ollama import script

# Each model's list, with a search and a filter it offers.
LISTS = {
    "accounts_app/user": {"q": "user-", "role__exact": "admin"},
    "accounts_app/authsession": {"q": "example.test", "state": "live", "is_mobile__exact": "0"},
    "sessions_app/session": {"q": "secretary", "pinned__exact": "1"},
    "sessions_app/message": {"q": "not-a-session-id", "role__exact": "user"},
    "sessions_app/run": {"q": "not-a-run-id", "status__exact": "completed"},
    "sessions_app/planninglog": {"q": "12345", "needs_plan__exact": "1"},
    "agents_app/todoitem": {"q": "milk", "done__exact": "0"},
    "agents_app/memoryfact": {"q": "home", "category__exact": "profile"},
    "admin_app/auditentry": {"q": "server_admin", "action__exact": "user.role"},
    "agents_app/profileavailability": {},
}


def _console(client, path: str, **params):
    response = client.get(f"/django-admin/{path}/", params=params)
    assert response.status_code == 200, f"{path}: {response.status_code}\n{response.text[:2000]}"
    return response


def _action(client, path: str, action: str, ids: list[str], **extra):
    """Run a console action the way its form does (Django's CSRF token included)."""
    _console(client, path)
    data = {"csrfmiddlewaretoken": client.cookies["csrftoken"], "action": action, "_selected_action": ids, **extra}
    return client.post(f"/django-admin/{path}/", data=data)


@pytest.fixture
def newcomer(oauth_navi):
    account = new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, account) as client:
        client.account = account
        client.user_id = client.get("/auth/me").json()["id"]
        yield client


@pytest.mark.parametrize("path", list(LISTS))
def test_every_list_opens_searched_and_filtered(people, path):
    admin = people["admin"].client
    page = _console(admin, path)
    assert 'id="changelist"' in page.text
    _console(admin, path, **LISTS[path])
    # A user who is not admin is sent to the console's own login form.
    refused = people["every_permission"].client.get(f"/django-admin/{path}/", follow_redirects=False)
    assert refused.status_code == 302 and refused.headers["location"].startswith("/django-admin/login/")


def test_a_sessions_page_shows_its_messages_newest_first_read_only(people):
    plain, admin = people["plain"].client, people["admin"].client
    sid = plain.post("/sessions", json={"profile_id": "secretary"}).json()["session_id"]
    for text in ("first question", "second question"):
        assert plain.post(f"/sessions/{sid}/messages", json={"content": text}).status_code == 200
    page = _console(admin, f"sessions_app/session/{sid}/change")
    shown = re.findall(r"Echo: second question|Echo: first question|(?<!Echo: )(?:second|first) question", page.text)
    assert shown == ["Echo: second question", "second question", "Echo: first question", "first question"]
    form = page.text.split('id="session_form"')[1].split("</form>")[0]
    assert not re.search(r'<(input(?![^>]*type="hidden")|textarea|select)\b', form), "an editable field"
    assert 'name="_save"' not in form
    assert "4 (<a href=" in page.text  # the count, and a link to all of them
    every = _console(admin, "sessions_app/message", session__exact=sid)
    assert every.text.count(f'href="/django-admin/sessions_app/session/{sid}/change/"') == 4


def test_deleting_a_session_in_the_console_takes_its_files(oauth_navi, people):
    plain, admin = people["plain"].client, people["admin"].client
    sid = plain.post("/sessions", json={"profile_id": "secretary"}).json()["session_id"]
    uploaded = plain.post(f"/sessions/{sid}/files", files={"file": ("notes.txt", b"keep me", "text/plain")})
    assert uploaded.status_code == 201
    folder = Path(oauth_navi.env["NAVI_DATA_DIR"]) / "session_files" / sid
    assert (folder / "notes.txt").read_bytes() == b"keep me"

    confirm = _action(admin, "sessions_app/session", "delete_selected", [sid])
    assert confirm.status_code == 200 and "0 messages, 0 runs, and the files of each session" in confirm.text
    assert plain.get(f"/sessions/{sid}").status_code == 200  # asked, not done yet
    done = _action(admin, "sessions_app/session", "delete_selected", [sid], post="yes")
    assert done.status_code == 302
    assert plain.get(f"/sessions/{sid}").status_code == 404
    assert plain.get(f"/sessions/{sid}/files/notes.txt").status_code == 404
    assert not folder.exists()


@pytest.mark.asyncio
async def test_ending_a_users_auth_sessions_closes_their_sockets(oauth_navi, people, newcomer):
    sid = newcomer.post("/sessions", json={"profile_id": "tiny"}).json()["session_id"]
    cookie = f"navi_auth_session={newcomer.cookies['navi_auth_session']}"
    # On the last front end: with Redis, another process than the one the console runs in.
    ws = Socket(
        await websockets.connect(
            oauth_navi.ws_url(oauth_navi.other_url(), sid), additional_headers={"Cookie": cookie}, open_timeout=10
        )
    )
    assert (await ws.next())["type"] == "session_sync"
    done = _action(people["admin"].client, "accounts_app/user", "end_auth_sessions", [newcomer.user_id])
    assert done.status_code == 302
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await ws.next(timeout=10)
    assert closed.value.rcvd.code == 4001
    assert newcomer.get("/auth/me").status_code == 401


def test_ending_one_auth_session_leaves_the_others(oauth_navi, people, newcomer):
    admin = people["admin"].client
    with signed_in(oauth_navi, newcomer.account) as second:
        page = _console(admin, "accounts_app/authsession", q=newcomer.account.email, state="live")
        ids = re.findall(r'name="_selected_action" value="([0-9a-f-]{36})"', page.text)
        assert len(ids) == 2
        assert _action(admin, "accounts_app/authsession", "end_selected", [ids[0]]).status_code == 302
        assert sorted([newcomer.get("/auth/me").status_code, second.get("/auth/me").status_code]) == [200, 401]
        left = _console(admin, "accounts_app/authsession", q=newcomer.account.email, state="live")
        assert re.findall(r'name="_selected_action" value="([0-9a-f-]{36})"', left.text) == [ids[1]]


@pytest.mark.asyncio
async def test_stopping_a_run_from_the_console_stops_it_wherever_it_runs(oauth_navi, people, newcomer):
    sid = newcomer.post("/sessions", json={"profile_id": "secretary"}).json()["session_id"]
    cookie = f"navi_auth_session={newcomer.cookies['navi_auth_session']}"
    ws = Socket(
        await websockets.connect(
            oauth_navi.ws_url(oauth_navi.url, sid), additional_headers={"Cookie": cookie}, open_timeout=10
        )
    )
    assert (await ws.next())["type"] == "session_sync"
    await ws.message("Think long " + script({"content": "never " * 50, "first_delay": 30}))
    await ws.until("stream_start")
    admin = people["admin"].client
    page = _console(admin, "sessions_app/run", q=sid, status__exact="running")
    (run_id,) = re.findall(r'name="_selected_action" value="([0-9a-f-]{36})"', page.text)
    assert _action(admin, "sessions_app/run", "request_stop", [run_id]).status_code == 302
    events = await ws.until({"stream_stopped", "stream_end"}, timeout=20)
    assert events[-1]["type"] == "stream_stopped"
    stopped = _console(admin, "sessions_app/run", q=sid, status__exact="stopped")
    assert (
        run_id in stopped.text
        and '<td class="field-stop_requested"><img src="/static/admin/img/icon-yes.svg"' in stopped.text
    )
    await ws.close()
