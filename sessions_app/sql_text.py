"""Values rendered as the API writes them, by the database: for lists long enough that converting each row's
times into Python objects, only to turn them back into text, is most of the answer's cost.

Each expression gives exactly what the Python rendering would (`datetime.isoformat()` of the time in UTC, as
Django returns it), on the two databases Navi runs on (tests/sessions_app/test_sql_text.py). Session.listing's
triggers (migration 0006) write the same, frozen in their SQL.
"""

from __future__ import annotations

from django.db import NotSupportedError
from django.db.models import CharField, Func


class _Text(Func):
    arity = 1
    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"{type(self).__name__} is written for SQLite and PostgreSQL only")


class IsoDateTime(_Text):
    """A date and time column as `datetime.isoformat()` writes it in UTC: `2026-04-10T18:00:00+00:00`, the
    microseconds (`.123456`) only when there are any."""

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django stores `str()` of the naive UTC time: `2026-04-10 18:00:00` or `2026-04-10 18:00:00.123456`.
        template = "replace(%(expressions)s, ' ', 'T') || '+00:00'"
        return Func.as_sql(self, compiler, connection, template=template, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        utc = "(%(expressions)s AT TIME ZONE 'UTC')"
        template = (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            f" || CASE to_char({utc}, 'US') WHEN '000000' THEN '' ELSE to_char({utc}, '.US') END || '+00:00'"
        )
        return Func.as_sql(self, compiler, connection, template=template, **extra_context)
