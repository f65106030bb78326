"""Secrets in URLs are kept out of the access log (issue 10.9).

A reporter's status token is the only key to their report's status and appeal; the database
keeps only its hash, so the access log must not keep it in the clear either. Staff media tokens
are short-lived but bound to a session: they are left out too.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"
_SECRET_IN_PATH = re.compile(r"(/(?:v1/)?status/|/report/received/|/staff/media/)[^/?#\s\"]+")


def redact(text: str) -> str:
    return _SECRET_IN_PATH.sub(lambda m: m.group(1) + REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites the path in uvicorn's access-log records (and any message naming one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    """Add the filter to the access logger once; safe to call after logging is configured."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
