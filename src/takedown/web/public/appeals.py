"""The status page's appeal button, over the review area's `appeal_by_reporter` service."""

from __future__ import annotations

from typing import Literal

from takedown.runtime import Runtime
from takedown.services.appeals import appeal_by_reporter
from takedown.services.errors import NotFound, ServiceError

Outcome = Literal["filed", "not_found", "refused"]


def file_appeal(rt: Runtime, token: str, statement: str) -> Outcome:
    """File the reporter's appeal; a case that cannot be appealed now is refused, not a 500."""
    try:
        with rt.transaction() as session:
            appeal_by_reporter(session, token, statement or None, rt.clock.now(), rt.deadlines)
    except NotFound:
        return "not_found"
    except ServiceError:
        return "refused"
    return "filed"
