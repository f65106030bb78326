"""Every numeric parameter is bounded, so out-of-range numbers are a 422, never a 500 (10.7)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.factories import Api


@pytest.mark.parametrize(
    "query",
    [
        "offset=9223372036854775808",
        "offset=9223372036854775807",
        "offset=-1",
        "limit=9223372036854775808",
        "limit=0",
        "offset=1e400",
    ],
)
def test_out_of_range_numbers_are_refused_with_a_clear_422(api: Api, query: str) -> None:
    response = api.client.get(f"/v1/cases?{query}", headers=api.key("reviewer"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


def _unbounded(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> list[str]:
    """Integer or number fields in `schema` that lack a minimum or a maximum."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _unbounded(components[name], components, seen)
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found += _unbounded(part, components, seen)
    if schema.get("type") in ("integer", "number"):
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            found.append("no maximum")
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            found.append("no minimum")
    for name, prop in schema.get("properties", {}).items():
        found += [f"{name}: {why}" for why in _unbounded(prop, components, seen)]
    if isinstance(schema.get("items"), dict):
        found += _unbounded(schema["items"], components, seen)
    return found


def test_every_numeric_input_in_the_openapi_schema_has_bounds(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    components = spec.get("components", {}).get("schemas", {})
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                for why in _unbounded(parameter.get("schema", {}), components, set()):
                    missing.append(f"{method.upper()} {path} {parameter['name']}: {why}")
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                for why in _unbounded(media.get("schema", {}), components, set()):
                    missing.append(f"{method.upper()} {path} body {why}")
    assert missing == []
