"""Schemathesis against the running server's own OpenAPI schema (/api/schema): generated requests for every
operation, valid and not: never a 5xx, and every refusal in the one JSON error shape.

The servers are the suite's real processes (`navi`): embedded, or front ends and workers on PostgreSQL + Redis.
Schemathesis' own pytest plugin does not load under this pytest, so the test walks the schema's operations and
runs each one's Hypothesis strategy itself.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES_PER_OPERATION = 15  # CI-sized: about 400 requests in all


def _html_page(operation) -> bool:
    """Sign-in pages a browser opens answer in HTML, as documented; everything else speaks JSON."""
    responses = operation.definition.raw.get("responses", {}).values()
    return any("text/html" in (response.get("content") or {}) for response in responses)


def _error_shape(response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"] == body.get("detail")


def _fuzz(operation, base_url: str, failures: list[str]) -> int:
    """Run one operation's generated requests; returns how many were made, adds what went wrong to `failures`."""
    html, calls = _html_page(operation), 0

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)  # fmt: skip
    @given(case=operation.as_strategy())
    def call(case):
        nonlocal calls
        response = case.call(base_url=base_url, timeout=30)
        calls += 1
        where = f"{case.method} {case.formatted_path} -> {response.status_code} {response.text[:200]}"
        if response.status_code >= 500:
            failures.append(where)
        elif response.status_code >= 400 and not html and not _error_shape(response):
            failures.append(f"not the JSON error shape: {where}")

    call()
    return calls


def test_no_generated_request_to_any_operation_gets_a_5xx(navi):
    schema = schemathesis.openapi.from_url(f"{navi.url}/api/schema")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # the whole API, not a schema that failed to list it
    failures: list[str] = []
    calls = sum(_fuzz(operation, navi.url, failures) for operation in operations)
    assert calls >= 10 * len(operations)
    assert not failures, f"{len(failures)} of {calls} calls:\n" + "\n".join(sorted(set(failures))[:20])
