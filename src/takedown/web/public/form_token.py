"""A signed token in every public form: CSRF protection that needs no session or cookie.

The report form must work embedded in a platform's page, where third-party cookies (and so
SameSite cookies and sessions) are not sent. Instead each form carries a token signed with the
installation's secret, bound to the address that loaded the form and valid for a day. A page on
another site cannot read our form (the same-origin policy), so it cannot obtain a token bound to
its visitor's address; it could only fetch one for its own server's address, which does not
match. The Origin header, when the browser sends one, must also be ours.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

SALT = "takedown.public-form"
MAX_AGE_SECONDS = 24 * 3600


def _binding(client: str) -> str:
    return hashlib.sha256(("client:" + client).encode()).hexdigest()[:32]


def issue(secret: str, client: str) -> str:
    return TimestampSigner(secret, salt=SALT).sign(_binding(client)).decode()


def is_valid(secret: str, token: str, client: str, max_age: int = MAX_AGE_SECONDS) -> bool:
    try:
        value = TimestampSigner(secret, salt=SALT).unsign(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return False
    return value.decode() == _binding(client)


def same_origin(origin: str | None, own_origins: set[str]) -> bool:
    """A missing or opaque Origin passes (privacy settings; the token still binds the form);
    another site's origin does not."""
    if not origin or origin == "null":
        return True
    return origin.rstrip("/") in own_origins
