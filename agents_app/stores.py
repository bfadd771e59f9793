"""The ORM behind the tools' storage ports.

The engine speaks `str` ids (it knows no UUID of the ORM's); a port method turns one into a UUID before it calls a
service or selector."""

from __future__ import annotations

from uuid import UUID

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from agents_app.engine.tools.memory import MemoryEntry, memory_prompt
from agents_app.engine.tools.switch_profile import ProfileInfo
from agents_app.engine.tools.todo import TodoEntry
from agents_app.models import MemoryFact, TodoItem
from agents_app.profiles import profile_get, profiles_for_user, user_may_use
from sessions_app.services.sessions import session_switch_profile

User = get_user_model()
MAX_FACTS_READ = 500


def _entry(item: TodoItem) -> TodoEntry:
    return TodoEntry(id=item.id, text=item.text, done=item.done)


class DjangoTodoStore:
    @database_sync_to_async
    def add(self, user_id: str, text: str) -> TodoEntry:
        return _entry(TodoItem.objects.create(user_id=user_id, text=text))

    @database_sync_to_async
    def list(self, user_id: str) -> list[TodoEntry]:
        return [_entry(item) for item in TodoItem.objects.filter(user_id=user_id)]

    @database_sync_to_async
    def complete(self, user_id: str, item_id: int) -> TodoEntry | None:
        item = TodoItem.objects.filter(user_id=user_id, id=item_id).first()
        if item is None:
            return None
        item.done = True
        item.save(update_fields=["done", "updated_at"])
        return _entry(item)

    @database_sync_to_async
    def delete(self, user_id: str, item_id: int) -> bool:
        deleted, _ = TodoItem.objects.filter(user_id=user_id, id=item_id).delete()
        return deleted > 0


def _fact(fact: MemoryFact) -> MemoryEntry:
    return MemoryEntry(
        id=str(fact.id),
        category=fact.category,
        key=fact.key,
        value=fact.value,
        source=fact.source,
        confidence=fact.confidence,
        updated_at=fact.updated_at.isoformat(),
    )


def memory_facts(*, user_id: UUID) -> list[MemoryEntry]:
    """The user's facts, newest first (capped: the ranking reads them all)."""
    return [_fact(f) for f in MemoryFact.objects.filter(user_id=user_id).order_by("-updated_at")[:MAX_FACTS_READ]]


def memory_system_extras(*, user_id: UUID, query: str) -> tuple[str, ...]:
    """The run's system text about the user: their facts most relevant to `query`, within the prompt budget."""
    prompt = memory_prompt(memory_facts(user_id=user_id), query)
    return (prompt,) if prompt else ()


class DjangoMemoryStore:
    @database_sync_to_async
    def remember(
        self, user_id: str, *, category: str, key: str, value: str, source: str, confidence: int
    ) -> tuple[MemoryEntry, bool]:
        lookup = {"user_id": user_id, "category": category, "key": key}
        values = {"value": value, "source": source, "confidence": confidence}
        try:
            with transaction.atomic():
                fact, created = MemoryFact.objects.update_or_create(**lookup, defaults=values)
        except IntegrityError:  # another run created the same key meanwhile: update that one
            fact, created = MemoryFact.objects.update_or_create(**lookup, defaults=values)
        return _fact(fact), created

    @database_sync_to_async
    def facts(self, user_id: str) -> list[MemoryEntry]:
        return memory_facts(user_id=UUID(user_id))

    @database_sync_to_async
    def forget(self, user_id: str, *, key: str, category: str | None) -> int:
        facts = MemoryFact.objects.filter(user_id=user_id, key__iexact=key)
        if category:
            facts = facts.filter(category=category)
        deleted, _ = facts.delete()
        return deleted


class DjangoProfileDirectory:
    """Profiles as the user may use them, and the session's switch to another one."""

    @database_sync_to_async
    def lookup(self, user_id: str, profile_id: str) -> ProfileInfo | None:
        profile = profile_get(profile_id=profile_id)
        # An admin-only profile is as unknown as a missing one to a user who may not use it (CONTRACT section 5).
        if profile is None or not user_may_use(profile=profile, user=User.objects.get(id=user_id)):
            return None
        return ProfileInfo(id=profile.id, name=profile.name, usable=True, agent=profile.agent_spec())

    @database_sync_to_async
    def available(self, user_id: str) -> list[str]:
        return [p.id for p in profiles_for_user(user=User.objects.get(id=user_id))]

    @database_sync_to_async
    def switch(self, session_id: str, profile_id: str) -> None:
        profile = profile_get(profile_id=profile_id)
        max_context = profile.max_context_tokens if profile else None
        session_switch_profile(session_id=UUID(session_id), profile_id=profile_id, max_context_tokens=max_context)
