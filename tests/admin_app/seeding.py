"""Rows written straight into a running e2e server's database, through Navi's own models.

The admin endpoints read many users' rows; making 1,000 sessions one request at a time would take most of a
minute and could not give them the ties the sort tests need. This runs as a process of its own with the
server's environment (its DATABASE_URL, settings and profiles), so the rows are exactly what the server would
have written, on SQLite and on PostgreSQL alike:

    python -m tests.admin_app.seeding '{"action": "sessions", "tag": "t1", "sessions": 1000, "users": 3}'

It prints a JSON answer on its last line. `seed(navi, ...)` runs it for a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A few lower-case words: names that sort the same by every collation (PostgreSQL's and Python's).
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf")
BASE_TIME = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def seed(navi, module: str = "tests.admin_app.seeding", **request) -> dict:
    """Run one seeding action of `module` against the database of the servers `navi`; returns its answer."""
    env = {**navi.env, "DJANGO_SETTINGS_MODULE": "navi_project.settings", "NAVI_LOG_LEVEL": "ERROR"}
    result = subprocess.run(
        [sys.executable, "-m", module, json.dumps(request)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"seeding failed ({result.returncode}):\n{result.stderr}\n{result.stdout}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _users(tag: str, count: int) -> list:
    from accounts_app.models import User

    users = [
        User(username=f"seed-{tag}-{i}", email=f"seed-{tag}-{i}@example.test", display_name=f"Seed {i}")
        for i in range(count)
    ]
    User.objects.bulk_create(users)
    return users


def _sessions(*, tag: str, sessions: int, users: int, messages_every: int = 4) -> dict:
    """`sessions` sessions over `users` new users (session i is user i % users'), with many ties: 7 names and
    no name, 2 profiles, 10 times of last activity, 5 creation times, 4 in 11 pinned; every 4th has 2 messages."""
    from django.db import transaction

    from sessions_app.models import Message, Session

    with transaction.atomic():
        owners = _users(tag, users)
        rows = [
            Session(
                user=owners[i % users],
                profile_id=("secretary", "toolbox")[i % 2],
                name=None if i % 8 == 7 else f"{WORDS[i % 7]} {tag}",
                pinned=i % 11 < 4,
                last_active=BASE_TIME + timedelta(minutes=i % 10),
            )
            for i in range(sessions)
        ]
        Session.objects.bulk_create(rows, batch_size=500)
        for minute in range(5):  # created_at is set on insert: give it its ties afterwards
            ids = [s.id for i, s in enumerate(rows) if i % 5 == minute]
            Session.objects.filter(id__in=ids).update(created_at=BASE_TIME - timedelta(days=1, minutes=minute))
        messages = [
            Message(session=s, role=role, content=f"{role} says hi")
            for i, s in enumerate(rows)
            if i % messages_every == 0
            for role in ("user", "assistant")
        ]
        Message.objects.bulk_create(messages, batch_size=1000)
    return {"users": [str(u.id) for u in owners], "sessions": [str(s.id) for s in rows]}


def _facts(*, tag: str, facts: int, users: int) -> dict:
    from django.db import transaction

    from agents_app.models import MemoryFact

    with transaction.atomic():
        owners = _users(tag, users)
        rows = [
            MemoryFact(
                user=owners[i % users],
                category=("profile", "work", "Preferences")[i % 3],
                key=f"{WORDS[i % 7]}-{tag}-{i}",
                value=f"Value {i} of {tag}" + (" LOUD" if i % 4 == 0 else ""),
                source=("conversation", "tool")[i % 2],
                confidence=(50, 80, 90, 100)[i % 4],
            )
            for i in range(facts)
        ]
        MemoryFact.objects.bulk_create(rows)
    return {"users": [str(u.id) for u in owners], "facts": [str(f.id) for f in rows]}


def _cleanup(*, tag: str) -> dict:
    from accounts_app.models import User

    deleted, _ = User.objects.filter(username__startswith=f"seed-{tag}-").delete()
    return {"deleted": deleted}


def _availability_reset(*, profile_ids: list[str]) -> dict:
    """Drop operators' overrides left by a test, so the other tests see the profiles as their files say."""
    from agents_app.models import ProfileAvailability

    deleted, _ = ProfileAvailability.objects.filter(profile_id__in=profile_ids).delete()
    return {"deleted": deleted}


def _user_fields(*, user_id: str) -> dict:
    from accounts_app.models import User

    user = User.objects.get(id=user_id)
    return {"role": user.role, "is_staff": user.is_staff, "is_superuser": user.is_superuser}


ACTIONS = {
    "sessions": _sessions,
    "facts": _facts,
    "cleanup": _cleanup,
    "availability_reset": _availability_reset,
    "user_fields": _user_fields,
}


def run_action(actions: dict) -> None:
    """The command line of a seeding module: set Django up, run the action its JSON argument names, print the
    result as JSON (what `seed` reads back)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navi_project.settings")
    django.setup()
    request = json.loads(sys.argv[1])
    print(json.dumps(actions[request.pop("action")](**request)))


def main() -> None:
    run_action(ACTIONS)


if __name__ == "__main__":
    main()
