"""In `oauth` mode only the session's owner answers its approval requests: another user's answer is refused over
REST (404, as for any session of someone else) and their socket to the session is closed with 4004."""

from __future__ import annotations

import pytest
import websockets

from tests.e2e.client import Socket
from tests.e2e.oauth_users import new_account, signed_in
from tests.fakes.fake_ollama import script

pytestmark = pytest.mark.asyncio


async def socket_for(navi, client, session_id: str) -> Socket:
    cookie = f"navi_auth_session={client.cookies['navi_auth_session']}"
    ws = await websockets.connect(
        navi.ws_url(navi.url, session_id), additional_headers={"Cookie": cookie}, open_timeout=10
    )
    return Socket(ws)


async def test_an_answer_from_another_user_is_refused_and_the_owners_is_taken(oauth_navi, fake_ollama_server):
    fake_ollama_server.reset()
    owner, stranger = new_account(oauth_navi.oauth), new_account(oauth_navi.oauth)
    with signed_in(oauth_navi, owner) as mine, signed_in(oauth_navi, stranger) as theirs:
        sid = mine.post("/sessions", json={"profile_id": "approver"}).json()["session_id"]
        socket = await socket_for(oauth_navi, mine, sid)
        assert (await socket.next())["type"] == "session_sync"
        todo = {"tool_calls": [{"name": "todo", "arguments": {"action": "add", "text": "mine only"}}]}
        await socket.message("Note " + script(todo, {"content": "Done."}))
        asked = (await socket.until("tool_approval_required"))[-1]
        refused = theirs.post(f"/sessions/{sid}/approvals/{asked['call_id']}", json={"approved": True})
        assert refused.status_code == 404
        intruder = await socket_for(oauth_navi, theirs, sid)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await intruder.next(timeout=10)
        assert closed.value.rcvd.code == 4004
        # The stranger's tries changed nothing: the call still waits, for its owner.
        assert mine.post(f"/sessions/{sid}/approvals/{asked['call_id']}", json={"approved": False}).json() == {
            "ok": True
        }
        events = await socket.until("stream_end", timeout=30)
        done = next(e for e in events if e["type"] == "tool_call")
        assert done["success"] is False and "denied by the user" in done["result"]
        await socket.close()
