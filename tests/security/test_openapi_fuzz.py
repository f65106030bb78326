"""Schemathesis against /openapi.json for every kind of caller (issue 10 item 11).

Every operation the schema describes gets generated requests (valid and invalid) from each
identity; no answer may be a 5xx, and every answer must match the schema it claims. Bounded:
a few examples per operation and identity, derandomized so a failure replays.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.factories import Api

EXAMPLES = 8
ROLES = ("platform", "reviewer", "lead", "admin", "legal")


def identities(api: Api) -> dict[str, dict[str, str]]:
    found = {"anonymous": {}, "wrong key": {"Authorization": "Bearer td_wrong-key"}}
    for role in ROLES:
        found[role] = api.key(role)
    return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_operation_answers_5xx_or_off_schema(api: Api) -> None:
    app = api.client.app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20  # the API, not an empty schema
    for name, headers in identities(api).items():
        for operation in operations:
            failures.extend(_fuzz(operation, name, headers))
    assert failures == [], "\n".join(failures[:40])


def _fuzz(operation: Any, identity: str, headers: dict[str, str]) -> list[str]:
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        try:
            # In-process, an unhandled error arrives as the exception behind the 500.
            response = case.call(headers=headers)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except Exception as exc:  # a check failed: collect it and go on with the others
            first = str(exc).strip().splitlines()[:3]
            found.append(f"{operation.label} as {identity}: {' | '.join(first)}")

    run()
    return found
