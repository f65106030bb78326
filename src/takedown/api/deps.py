"""Request dependencies: the runtime, the caller's identity, and public rate limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from limits.storage import Storage, storage_from_string

from takedown.api.errors import ApiError
from takedown.api.proxies import TrustedProxies
from takedown.runtime import Runtime
from takedown.services import intake
from takedown.services.access import Principal, Role, principal_for_key_now
from takedown.services.banks import HashEntry
from takedown.services.intake import Receipt, ReportBudgets
from takedown.services.rate_limits import PacedMemoryStorage, RateLimit
from takedown.services.reports import ReportInput


# `async def`: FastAPI runs a plain `def` dependency on the threadpool, a thread hand-off per
# request for an attribute read (issue 15).
async def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def client_address(request: Request) -> str:
    """The client's address, as the trusted-proxy rule decides it (api.proxies)."""
    peer = request.client.host if request.client else "unknown"
    proxies: TrustedProxies = getattr(request.app.state, "trusted_proxies", TrustedProxies())
    return proxies.client(peer, request.headers.get("x-forwarded-for"))


def bearer_key(request: Request) -> str:
    """The API key the request presents, refused 401 when there is none or it is malformed.
    No I/O: whether the key is valid is `principal_of_key`'s question."""
    header = request.headers.get("authorization", "")
    if not header:
        raise ApiError(401, "missing_api_key", "send Authorization: Bearer <api key>")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "invalid_api_key", "use the form Authorization: Bearer <api key>")
    return key.strip()


async def api_key(request: Request) -> str:
    """A dependency: `bearer_key`, for a route that looks the key up on its own thread."""
    return bearer_key(request)


def principal_of_key(rt: Runtime, key: str) -> Principal:
    """The principal of `key` as committed now, refused 401 when it is unknown or revoked.
    Blocking (one statement)."""
    found = principal_for_key_now(rt.engine, key)
    if found is None:
        raise ApiError(401, "invalid_api_key", "this API key is not valid or was revoked")
    return found


def principal(request: Request, rt: Runtime = Depends(runtime)) -> Principal:
    return principal_of_key(rt, bearer_key(request))


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the caller's principal, refused 403 unless it has one of `roles`.
    `async def` since the check is no I/O (the key lookup, `principal`, is a thread's work)."""
    allowed = frozenset(roles)

    async def check(who: Principal = Depends(principal)) -> Principal:
        return ensure_role(who, allowed)

    return check


def ensure_role(who: Principal, allowed: frozenset[Role]) -> Principal:
    if who.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise ApiError(403, "forbidden", f"this needs one of the roles: {names}")
    return who


STAFF = (Role.REVIEWER, Role.LEAD, Role.ADMIN, Role.LEGAL)


def rate_limit_storage(uri: str) -> Storage:
    """Where limits are counted: `memory://` per process, or `redis://host:port` so that every
    process behind a load balancer counts against the same limit (TAKEDOWN_RATE_LIMIT_STORAGE)."""
    if uri.partition("://")[0] == "memory":
        return PacedMemoryStorage()  # the same counts, without a scan every 10 ms
    storage = storage_from_string(uri)
    if not isinstance(storage, Storage):
        raise ValueError(f"{uri!r} names an asynchronous storage; use memory:// or redis://")
    return storage


class PublicRateLimit(RateLimit):
    """Per-address limit on the public endpoints (`TAKEDOWN_REPORT_RATE_LIMIT`)."""

    scope = "public"
    refusal = "too many requests from this address; try again shortly"

    def __call__(self, request: Request) -> None:
        self.hit(client_address(request))


def public_rate_limit(request: Request) -> None:
    request.app.state.public_limit(request)


class ChildSafetyRateLimit(RateLimit):
    """Per-address budget of child-safety reports (`TAKEDOWN_CHILD_SAFETY_RATE_LIMIT`), apart
    from every other report so that spam from a shared address cannot use it up."""

    scope = "child_safety"
    refusal = "too many child-safety reports from this address; try again shortly"


class ReporterRateLimit(RateLimit):
    """Per-reporter limit (`TAKEDOWN_REPORTER_RATE_LIMIT`) across addresses, for reports that
    name an account or an email (services.intake charges it with services.reports.claim_key)."""

    scope = "reporter"
    refusal = "too many reports from this reporter; try again later"


def report_budgets(request: Request) -> ReportBudgets:
    """The app's report budgets, read per request so a test may swap one limit."""
    state = request.app.state
    return ReportBudgets(state.public_limit, state.child_safety_limit, state.reporter_limit)


def take_report(
    request: Request, data: ReportInput, hashes: list[HashEntry] | None = None
) -> Receipt:
    """A report through services.intake with this request's runtime, budgets and client
    address, counted in the metrics: what every door that takes reports calls."""
    rt: Runtime = request.app.state.runtime
    budgets = report_budgets(request)
    client = client_address(request)
    receipt = intake.take_report(
        rt.transaction, rt.clock, rt.installation, budgets, data, client, hashes
    )
    rt.metrics.reports.labels(category=data.category.value, priority=receipt.priority).inc()
    return receipt
