"""memory: facts kept per user in the database, recalled by the tool, and offered to the model within a budget."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from accounts_app.models import User
from agents_app.engine.tools import ToolContext, ToolError, ToolPorts
from agents_app.engine.tools.memory import MemoryEntry, memory_prompt, memory_tool, rank
from agents_app.models import MemoryFact
from agents_app.stores import DjangoMemoryStore, memory_system_extras


def fact(key: str, value: str, *, category="general", confidence=80, updated_at="2026-01-01") -> MemoryEntry:
    return MemoryEntry(id=key, category=category, key=key, value=value, source="conversation",
                       confidence=confidence, updated_at=updated_at)  # fmt: skip


def test_facts_matching_the_message_rank_first_then_the_surer_then_the_newer():
    facts = [
        fact("city", "Lisbon", category="profile", confidence=90),
        fact("dog", "a beagle named Rex", category="pets", confidence=60),
        fact("food", "likes sushi", confidence=90, updated_at="2026-03-01"),
        fact("drink", "likes green tea", confidence=90, updated_at="2026-02-01"),
    ]
    assert [f.key for f in rank(facts, "What should I feed my dog Rex?")] == ["dog", "food", "drink", "city"]


def test_the_prompt_keeps_within_its_budget_and_says_what_the_facts_are():
    facts = [fact(f"k{i}", "x" * 80) for i in range(100)] + [fact("name", "Eugene", category="profile")]
    prompt = memory_prompt(facts, "what is my name", budget=600)
    assert len(prompt) <= 600
    lines = prompt.splitlines()
    assert lines[0].startswith("What you remember about the user from earlier conversations")
    assert lines[1] == "- [profile] name: Eugene (confidence 80%)"  # the relevant fact made it in first
    assert 1 < len(lines) < 10
    assert memory_prompt([], "anything") is None


@pytest.fixture
def users(db):
    return User.objects.create(username="ann"), User.objects.create(username="bob")


def run_memory(user, **args) -> str:
    ctx = ToolContext(user_id=str(user.id), session_id="s", profile_id="p",
                      ports=ToolPorts(memory=DjangoMemoryStore()), emit=lambda e: None)  # fmt: skip
    return async_to_sync(memory_tool.run)(args, ctx)


@pytest.mark.django_db(transaction=True)
def test_remember_recall_and_forget_work_per_user(users):
    ann, bob = users
    assert run_memory(ann, action="remember", category="Profile", key="name", value="Ann", confidence=95) == (
        "Remembered [profile] name: Ann (confidence 95%)"
    )
    assert run_memory(ann, action="remember", key="city", value="Oslo") == (
        "Remembered [general] city: Oslo (confidence 80%)"
    )
    assert run_memory(ann, action="remember", key="city", value="Bergen", confidence=70).startswith("Updated")
    stored = MemoryFact.objects.get(user=ann, key="city")
    assert (stored.value, stored.confidence, stored.source) == ("Bergen", 70, "conversation")
    assert MemoryFact.objects.filter(user=ann).count() == 2

    assert run_memory(ann, action="recall", query="which city") == "- [general] city: Bergen (confidence 70%)"
    assert run_memory(ann, action="recall").count("\n") == 1  # both facts
    assert run_memory(bob, action="recall", query="city") == "Nothing remembered about 'city'."

    with pytest.raises(ToolError, match="nothing is remembered under the key 'city'"):
        run_memory(bob, action="forget", key="city")  # Bob cannot touch Ann's facts
    assert run_memory(ann, action="forget", key="City") == "Forgot 1 fact(s) under 'City'."
    assert list(MemoryFact.objects.filter(user=ann).values_list("key", flat=True)) == ["name"]


@pytest.mark.django_db(transaction=True)
def test_bad_memory_calls_say_what_is_wrong(users):
    ann, _ = users
    for args, message in [
        ({"action": "remember", "key": "x"}, "this action needs a non-empty `value`"),
        ({"action": "remember", "value": "y"}, "this action needs a non-empty `key`"),
        ({"action": "remember", "key": "x", "value": "y", "confidence": 150}, "`confidence` must be a number"),
        ({"action": "forget"}, "this action needs a non-empty `key`"),
        ({"action": "sing"}, "unknown action 'sing'"),
    ]:
        with pytest.raises(ToolError, match=message):
            run_memory(ann, **args)
    assert MemoryFact.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_run_system_text_carries_only_the_users_own_facts(users):
    ann, bob = users
    run_memory(ann, action="remember", category="profile", key="name", value="Ann")
    assert memory_system_extras(user_id=bob.id, query="what is my name") == ()
    (extra,) = memory_system_extras(user_id=ann.id, query="what is my name")
    assert "- [profile] name: Ann (confidence 80%)" in extra
