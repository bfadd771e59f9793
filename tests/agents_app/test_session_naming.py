"""POST /sessions/{id}/generate-name against the fake Ollama: what the model says becomes a clean, short name."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts_app.services import user_get_or_create_owner
from agents_app.session_naming import NAME_MAX_CHARS, name_clean
from sessions_app.models import Message, Session

pytestmark = pytest.mark.django_db

NAMING = "You name conversations"


def session_with(*messages: tuple[str, str], name=None) -> Session:
    session = Session.objects.create(
        user=user_get_or_create_owner(), profile_id="secretary", name=name, last_active=timezone.now()
    )
    for role, content in messages:
        Message.objects.create(session=session, role=role, content=content)
    return session


def generate(client, session) -> tuple[int, dict]:
    response = client.post(f"/sessions/{session.id}/generate-name")
    return response.status_code, response.json()


def naming_requests(fake) -> list[dict]:
    return [r for r in fake.requests() if NAMING in r["messages"][0]["content"]]


@pytest.mark.parametrize(
    ("model_says", "name"),
    [
        ('"Weekend trip to Rome"', "Weekend trip to Rome"),
        ("«Budget de la maison»", "Budget de la maison"),
        ("Title: Fixing the garden fence\nThe user asked how to repair a fence.", "Fixing the garden fence"),
        ("\n\n  **Recipe ideas for dinner.**  \n\nsecond line", "Recipe ideas for dinner"),
    ],
)
def test_the_model_reply_becomes_one_clean_line_without_quotes(client, fake_ollama, model_says, name):
    fake_ollama.add_rule(NAMING, [{"content": model_says}], where="system")
    session = session_with(("user", "Help me plan a trip"), ("assistant", "Sure, where to?"))
    assert generate(client, session) == (200, {"name": name})
    session.refresh_from_db()
    assert session.name == name
    (request,) = naming_requests(fake_ollama)
    assert request["stream"] is False and request["model"] == "gemma4:26b-a4b-it-q4_K_M"
    # A side call: it never thinks (a thinking model would spend the answer on reasoning), and it asks for the
    # same context size as the session's chat calls, so Ollama does not reload the model for it.
    assert request["think"] is False and request["options"]["num_ctx"] == 32768
    assert "User: Help me plan a trip" in request["messages"][1]["content"]
    assert "Assistant: Sure, where to?" in request["messages"][1]["content"]
    listed = client.get("/sessions").json()
    assert next(s for s in listed if s["session_id"] == str(session.id))["name"] == name


def test_a_long_reply_is_cut_to_sixty_characters_at_a_word(client, fake_ollama):
    fake_ollama.add_rule(NAMING, [{"content": "A very long title " * 10}], where="system", times=1)
    session = session_with(("user", "hello"))
    status, body = generate(client, session)
    assert status == 200 and body["name"] == "A very long title A very long title A very long title A very"
    assert len(body["name"]) <= NAME_MAX_CHARS
    fake_ollama.add_rule(NAMING, [{"content": "Photosynthesis " * 3 + "inchloroplastsandmitochondriaofplantcells"}],
                         where="system")  # fmt: skip
    status, body = generate(client, session_with(("user", "hello")))
    assert body["name"] == "Photosynthesis Photosynthesis Photosynthesis"  # a word is never cut in two


def test_an_empty_reply_falls_back_to_the_first_user_message(client, fake_ollama):
    fake_ollama.add_rule(NAMING, [{"content": '  \n "" \n'}], where="system")
    session = session_with(("user", "What is the boiling point of water on Everest, and why is it lower?"))
    status, body = generate(client, session)
    assert status == 200 and body["name"] == "What is the boiling point of water on Everest, and why is it"
    assert len(body["name"]) <= NAME_MAX_CHARS


def test_a_named_session_keeps_its_name_and_the_model_is_not_asked(client, fake_ollama):
    fake_ollama.add_rule(NAMING, [{"content": "Something else"}], where="system")
    session = session_with(("user", "hello"), name="My own name")
    assert generate(client, session) == (200, {"name": "My own name"})
    assert naming_requests(fake_ollama) == []


def test_a_session_without_user_messages_has_no_name_yet(client, fake_ollama):
    session = session_with(("assistant", "Welcome!"))
    assert generate(client, session) == (200, {"name": None})
    assert fake_ollama.requests() == []
    session.refresh_from_db()
    assert session.name is None


def test_a_second_call_returns_the_first_name(client, fake_ollama):
    fake_ollama.add_rule(NAMING, [{"content": "First name"}], where="system", times=1)
    fake_ollama.add_rule(NAMING, [{"content": "Second name"}], where="system")
    session = session_with(("user", "hello"))
    assert generate(client, session)[1] == {"name": "First name"}
    assert generate(client, session)[1] == {"name": "First name"}
    assert len(naming_requests(fake_ollama)) == 1


def test_a_model_failure_answers_502_and_leaves_the_session_unnamed(client, fake_ollama):
    fake_ollama.add_rule(NAMING, [{"http_status": 500, "error": "model crashed"}], where="system")
    session = session_with(("user", "hello"))
    status, body = generate(client, session)
    assert status == 502 and "model crashed" in body["detail"]
    session.refresh_from_db()
    assert session.name is None


def test_an_unknown_session_answers_404(client, fake_ollama):
    response = client.post("/sessions/00000000-0000-0000-0000-000000000000/generate-name")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [("", ""), ("   ", ""), ("'Quoted'", "Quoted"), ("Name: `Trip`", "Trip"), ("# Heading title", "Heading title"),
     ("Two  spaces\tand tab.", "Two spaces and tab"), ("x" * 80, "x" * 60)],
)  # fmt: skip
def test_name_clean(text, cleaned):
    assert name_clean(text) == cleaned
