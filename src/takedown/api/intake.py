"""Who is reporting: a report sent with a `platform` key is forwarded by the platform.

Which budget pays for a report is decided by services.intake; this module only reads the
request's key.
"""

from __future__ import annotations

from fastapi import Request

from takedown.api.deps import principal
from takedown.api.errors import ApiError
from takedown.runtime import Runtime
from takedown.services.access import Principal, Role


def forwarding_platform(request: Request, rt: Runtime) -> Principal | None:
    """The platform forwarding this report, or None for a key-less report.

    A key that is sent must be valid and a platform's: a wrong key is refused, not quietly
    treated as a public report.
    """
    if "authorization" not in request.headers:
        return None
    who = principal(request, rt)
    if who.role is not Role.PLATFORM:
        raise ApiError(
            403,
            "forbidden",
            "only a platform key forwards reports; send a public report without a key",
        )
    return who
