"""The HMA API's one error type: a status and HMA's message, rendered by `takedown.api.hma`."""

from __future__ import annotations


class HmaError(Exception):
    """What HMA's `abort(status, message)` answers; the message is HMA's own wording, since its
    clients show it to their users (and some match on it)."""

    def __init__(self, status: int, message: str, code: str = "hma_error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
