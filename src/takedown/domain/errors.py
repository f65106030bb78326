"""The domain's one error type."""


class DomainError(Exception):
    """A rule of the domain refused the request."""


class InvalidTransition(DomainError):
    pass
