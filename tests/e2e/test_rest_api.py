"""The REST surface of a real server process."""

from __future__ import annotations

import threading
import time

from tests.e2e.client import new_session, rest
from tests.fakes.fake_ollama import script


def test_health_me_profiles_and_tools_answer(live):
    with rest(live.url) as api:
        assert api.get("/health").json() == {"status": "ok"}
        me = api.get("/auth/me").json()
        assert me["role"] == "admin" and "navi.profiles.manage" in me["permissions"]
        profiles = {p["id"]: p for p in api.get("/agents/profiles").json()}
        assert {"secretary", "server_admin", "tiny"} <= set(profiles)
        fields = {"id", "name", "description", "enabled_tools", "llm_backend", "model", "warning"}
        assert set(profiles["secretary"]) == fields
        assert profiles["secretary"]["warning"] is None  # its model can call tools and think
        tools = api.get("/agents/tools").json()
        assert {"name": "todo", "description": tools[0]["description"]} in tools


def test_creating_sessions_checks_the_profile_and_the_body(live):
    with rest(live.url) as api:
        created = api.post("/sessions", json={"profile_id": "secretary"})
        assert created.status_code == 201
        body = created.json()
        assert body["profile_id"] == "secretary" and len(body["session_id"]) == 36 and body["created_at"]
        missing = api.post("/sessions", json={"profile_id": "nobody"})
        assert missing.status_code == 404 and "nobody" in missing.json()["detail"]
        malformed = api.post("/sessions", content=b"{not json", headers={"content-type": "application/json"})
        assert malformed.status_code == 400 and "JSON" in malformed.json()["detail"]
        assert api.post("/sessions", json={}).status_code == 400


def test_session_detail_list_pin_and_delete(live):
    with rest(live.url) as api:
        first = new_session(live.url)
        second = new_session(live.url)
        reply = api.post(f"/sessions/{first}/messages", json={"content": "remember the milk"})
        assert reply.status_code == 200 and reply.json() == {"role": "assistant", "content": "Echo: remember the milk"}
        detail = api.get(f"/sessions/{first}").json()
        assert {"session_id", "profile_id", "name", "context_token_count", "max_context_tokens", "messages"} <= set(
            detail
        )
        assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
        assert detail["context_token_count"] > 0 and detail["max_context_tokens"] == 32768
        final = detail["messages"][-1]
        assert final["elapsed_seconds"] >= 0 and final["tool_call_count"] == 0 and final["token_count"] > 0
        assert api.patch(f"/sessions/{second}/pin", json={"pinned": True}).json() == {
            "session_id": second,
            "pinned": True,
        }
        assert api.patch(f"/sessions/{second}/pin", json={"pinned": "maybe"}).status_code == 400
        listed = api.get("/sessions").json()
        ids = [s["session_id"] for s in listed]
        assert ids.index(second) < ids.index(first)
        row = next(s for s in listed if s["session_id"] == first)
        assert row["message_count"] == 2 and row["preview"] == "Echo: remember the milk" and row["name"] is None
        assert api.delete(f"/sessions/{first}").status_code == 204
        assert api.get(f"/sessions/{first}").status_code == 404
        assert api.delete(f"/sessions/{first}").status_code == 404
        assert api.get("/sessions/not-a-uuid").status_code == 404


def test_context_shows_the_system_prompt_and_the_stored_conversation(live):
    sid = new_session(live.url)
    with rest(live.url) as api:
        api.post(f"/sessions/{sid}/messages", json={"content": "hello"})
        context = api.get(f"/sessions/{sid}/context").json()
        assert context["context"][0]["role"] == "system" and "Navi" in context["context"][0]["content"]
        assert [m["role"] for m in context["context"][1:]] == ["user", "assistant"]
        assert context["message_count"] == 3 and context["total_chars"] > 0


def test_sync_messages_refuse_bad_bodies_and_report_agent_failures(live):
    sid = new_session(live.url)
    with rest(live.url) as api:
        not_json = api.post(f"/sessions/{sid}/messages", content=b"nope", headers={"content-type": "application/json"})
        assert not_json.status_code == 400 and "JSON" in not_json.json()["detail"]
        form = api.post(f"/sessions/{sid}/messages", data={"content": "hi"})
        assert form.status_code == 415 and "application/json" in form.json()["detail"]
        assert api.post(f"/sessions/{sid}/messages", json={"content": ""}).status_code == 400
        failed = api.post(
            f"/sessions/{sid}/messages", json={"content": "x " + script({"http_status": 500, "error": "GPU on fire"})}
        )
        assert failed.status_code == 500 and "GPU on fire" in failed.json()["detail"]
        assert (
            api.post("/sessions/00000000-0000-0000-0000-000000000000/messages", json={"content": "x"}).status_code
            == 404
        )


def test_a_message_while_a_run_is_active_answers_409_and_stop_reports_honestly(live):
    sid = new_session(live.url)
    results = {}

    def slow_send():
        with rest(live.url) as api:
            results["slow"] = api.post(
                f"/sessions/{sid}/messages", json={"content": "s " + script({"content": "a b c d e f g", "delay": 0.2})}
            )

    thread = threading.Thread(target=slow_send)
    thread.start()
    time.sleep(0.6)
    with rest(live.other_url()) as api:
        busy = api.post(f"/sessions/{sid}/messages", json={"content": "me too"})
        assert busy.status_code == 409
        assert api.post(f"/sessions/{sid}/stop").json() == {"ok": True}
    thread.join(20)
    assert results["slow"].status_code == 200 and results["slow"].json().get("stopped") is True
    with rest(live.url) as api:
        assert api.post(f"/sessions/{sid}/stop").json() == {"ok": False, "reason": "no active run"}
        roles = [m["role"] for m in api.get(f"/sessions/{sid}").json()["messages"]]
        assert roles == ["user", "assistant"]


def test_unknown_urls_answer_json_404(live):
    with rest(live.url) as api:
        response = api.get("/no/such/thing")
        assert response.status_code == 404 and response.json()["detail"] == "Not found"
