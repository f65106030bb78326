"""The DSA Transparency Database's validation of a statement of reasons, applied in Python.

Rules and enumerations come from tests/data/dsa_statement_rules.json, restated from the EU's
repository (`digital-services-act/transparency-database`, StatementStoreRequest.php and
Statement.php, at the commit the file names); this module only interprets them.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).resolve().parents[1] / "data" / "dsa_statement_rules.json"
REFERENCE: dict[str, Any] = json.loads(RULES_FILE.read_text(encoding="utf-8"))
ENUMERATIONS: dict[str, list[str]] = REFERENCE["enumerations"]
RULES: dict[str, dict[str, Any]] = REFERENCE["rules"]


def _present(statement: dict[str, Any], name: str) -> bool:
    return statement.get(name) not in (None, "", [])


def _contains(statement: dict[str, Any], name: str, value: str) -> bool:
    field = statement.get(name)
    return value in field if isinstance(field, list) else field == value


def problems(statement: dict[str, Any]) -> list[str]:
    """Every way `statement` breaks the database's rules; empty when it would be accepted."""
    out = [f"{name}: not a field of the database" for name in statement if name not in RULES]
    for name, rule in RULES.items():
        value = statement.get(name)
        present = _present(statement, name)
        required = rule.get("required", False)
        if "required_if" in rule and _contains(statement, *rule["required_if"]):
            required = True
        if "required_if_contains" in rule and _contains(statement, *rule["required_if_contains"]):
            required = True
        if "required_without_all" in rule and not any(
            _present(statement, other) for other in rule["required_without_all"]
        ):
            required = True
        if required and not present:
            out.append(f"{name}: required")
            continue
        excluded = "exclude_unless" in rule and not _contains(statement, *rule["exclude_unless"])
        if "required_if_contains" in rule and not _contains(
            statement, *rule["required_if_contains"]
        ):
            excluded = True
        if "exclude_if" in rule and _contains(statement, *rule["exclude_if"]):
            excluded = True
        if excluded and present:
            out.append(f"{name}: sent where the database excludes it")
        if not present:
            continue
        values = value if isinstance(value, list) else [value]
        if rule.get("array") and not isinstance(value, list):
            out.append(f"{name}: must be an array")
        if not rule.get("array") and isinstance(value, list):
            out.append(f"{name}: must not be an array")
        if "in" in rule:
            allowed = ENUMERATIONS[rule["in"]]
            out += [f"{name}: {v!r} is not in {rule['in']}" for v in values if v not in allowed]
        if "max" in rule and any(len(str(v)) > rule["max"] for v in values):
            out.append(f"{name}: longer than {rule['max']} characters")
        if "regex" in rule and not re.fullmatch(rule["regex"], str(value)):
            out.append(f"{name}: does not match {rule['regex']}")
        if rule.get("date_format") == "Y-m-d":
            if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                out.append(f"{name}: not YYYY-MM-DD")
                continue
            day = date.fromisoformat(value)
            if "after_or_equal" in rule and day < date.fromisoformat(rule["after_or_equal"]):
                out.append(f"{name}: before {rule['after_or_equal']}")
            if "before_or_equal" in rule and day > date.fromisoformat(rule["before_or_equal"]):
                out.append(f"{name}: after {rule['before_or_equal']}")
    return out
