"""Who may call what: every route the app serves by every kind of caller (issue 10 item 11).

The matrix is built from the app's own route list, so a route added without a row here fails
`test_every_route_has_a_row`; each cell is then called and its answer's class checked. The rows
are API.md's roles: a bug in a guard, or a new route nobody thought about, fails this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from starlette.routing import Mount

from takedown.services import access
from tests.support.factories import Api
from tests.support.review import staff_user
from tests.support.staff_web import sign_in

ANON, PLATFORM, REVIEWER, LEAD, ADMIN, LEGAL, WRONG_KEY = (
    "anonymous",
    "platform",
    "reviewer",
    "lead",
    "admin",
    "legal",
    "wrong key",
)
IDENTITIES = (ANON, PLATFORM, REVIEWER, LEAD, ADMIN, LEGAL, WRONG_KEY)
EVERYONE = frozenset(IDENTITIES)
STAFF = frozenset({REVIEWER, LEAD, ADMIN, LEGAL})
DECIDERS = frozenset({REVIEWER, LEAD, ADMIN})
CURATORS = frozenset({LEAD, ADMIN})

# (method, path) -> the identities that get past its guard. Everyone else must be refused:
# 401/403 from the API, and for the staff pages a redirect to the log-in form, 401 or 403.
MATRIX: dict[tuple[str, str], frozenset[str]] = {
    # Operations and documentation: public by design (API.md, "Operations").
    ("GET", "/openapi.json"): EVERYONE,
    ("GET", "/docs"): EVERYONE,
    ("GET", "/docs/oauth2-redirect"): EVERYONE,
    ("GET", "/redoc"): EVERYONE,
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,
    # Report counts and reviewers' names: a lead's or an admin's key (issue 10.9).
    ("GET", "/metrics"): frozenset({LEAD, ADMIN}),
    ("GET", "/static"): EVERYONE,
    # Platform endpoints.
    ("POST", "/v1/content"): frozenset({PLATFORM, ADMIN}),
    ("GET", "/v1/content/{content_id}"): frozenset({PLATFORM}) | STAFF,
    ("POST", "/v1/webhooks"): frozenset({PLATFORM, ADMIN}),
    ("POST", "/v1/content/{content_id}/appeal"): frozenset({PLATFORM}),
    ("PATCH", "/v1/content/{content_id}"): frozenset({PLATFORM, ADMIN}),
    # Public reporting: no key, rate limited.
    ("POST", "/v1/reports"): EVERYONE,
    ("GET", "/v1/status/{status_token}"): EVERYONE,
    ("POST", "/v1/status/{status_token}/appeal"): EVERYONE,
    ("POST", "/v1/hash-reports"): EVERYONE,
    ("GET", "/report"): EVERYONE,
    ("POST", "/report"): EVERYONE,
    ("GET", "/report/received/{token}"): EVERYONE,
    ("GET", "/report/hashes"): EVERYONE,
    ("GET", "/status/{token}"): EVERYONE,
    ("POST", "/status/{token}/appeal"): EVERYONE,
    ("GET", "/status/{token}/thumbnail"): EVERYONE,
    # Staff API.
    ("GET", "/v1/cases"): STAFF,
    ("GET", "/v1/cases/{case_id}"): STAFF,
    ("GET", "/v1/cases/{case_id}/events"): STAFF,
    ("POST", "/v1/cases/{case_id}/decision"): DECIDERS,
    ("POST", "/v1/cases/{case_id}/possible-copies/{content_id}/link"): DECIDERS,
    ("PUT", "/v1/cases/{case_id}/content/{content_id}/bank-part"): DECIDERS,
    ("POST", "/v1/cases/{case_id}/account-suspension"): frozenset({LEAD, ADMIN}),
    # Banks; matching is open to the platform too.
    ("POST", "/v1/banks"): frozenset({ADMIN, LEAD}),
    ("GET", "/v1/banks"): frozenset({ADMIN, LEAD}),
    ("POST", "/v1/banks/{name}/hashes"): frozenset({ADMIN, LEAD}),
    ("GET", "/v1/banks/{name}/hashes.csv"): frozenset({ADMIN, LEAD}),
    ("POST", "/v1/match"): frozenset({PLATFORM}) | STAFF,
    ("GET", "/v1/banks/{name}/quarantined"): frozenset({ADMIN, LEAD}),
    ("POST", "/v1/banks/{name}/quarantined/{hash_id}/release"): frozenset({ADMIN, LEAD}),
    # Evidence and filings.
    ("GET", "/v1/cases/{case_id}/evidence-package"): frozenset({LEGAL}),
    ("POST", "/v1/cases/{case_id}/legal-hold"): frozenset({LEGAL}),
    ("DELETE", "/v1/cases/{case_id}/legal-hold"): frozenset({LEGAL}),
    ("GET", "/v1/filings"): frozenset({LEGAL, ADMIN}),
    ("POST", "/v1/cases/{case_id}/filing/retry"): frozenset({LEGAL, ADMIN}),
    # Transparency (API.md, "Transparency and oversight").
    ("GET", "/v1/transparency/statements"): frozenset({LEGAL, ADMIN}),
    ("GET", "/v1/transparency/report"): frozenset({LEGAL, ADMIN}),
    # Staff pages (a session cookie, not a key).
    ("GET", "/staff/login"): EVERYONE,
    ("POST", "/staff/login"): EVERYONE,
    ("POST", "/staff/logout"): STAFF,
    ("GET", "/staff"): STAFF,
    ("POST", "/staff/claim-next"): DECIDERS,
    ("GET", "/staff/cases/{case_id}"): STAFF,
    ("POST", "/staff/cases/{case_id}/claim"): DECIDERS,
    ("POST", "/staff/cases/{case_id}/release"): DECIDERS,
    ("POST", "/staff/cases/{case_id}/decision"): DECIDERS,
    ("GET", "/staff/settings"): STAFF,
    ("POST", "/staff/settings"): STAFF,
    ("GET", "/staff/admin"): frozenset({ADMIN}),
    ("GET", "/staff/legal"): frozenset({LEGAL, ADMIN}),
    ("POST", "/staff/cases/{case_id}/items/{item_id}/reveal"): STAFF,
    ("GET", "/staff/media/{token}"): STAFF,
    ("POST", "/staff/cases/{case_id}/account-suspension"): frozenset({LEAD, ADMIN}),
    ("POST", "/staff/cases/{case_id}/filing/retry"): frozenset({LEGAL, ADMIN}),
    ("GET", "/staff/dashboard"): frozenset({LEAD, ADMIN}),
    ("POST", "/staff/dashboard/wellness"): frozenset({LEAD, ADMIN}),
    ("GET", "/staff/exchanges"): frozenset({LEAD, ADMIN}),
    # The HMA-compatible API (API.md): a platform key hashes and matches, a lead or an admin
    # curates; its health and documentation are open, as in HMA.
    ("GET", "/hma/status"): EVERYONE,
    ("GET", "/hma/status/live"): EVERYONE,
    ("GET", "/hma/openapi/openapi.json"): EVERYONE,
    ("GET", "/hma/openapi/swagger"): EVERYONE,
    ("GET", "/hma/docs/oauth2-redirect"): EVERYONE,
    ("GET", "/hma/h/hash"): frozenset({PLATFORM}),
    ("POST", "/hma/h/hash"): frozenset({PLATFORM}),
    ("GET", "/hma/m/lookup"): frozenset({PLATFORM}),
    ("POST", "/hma/m/lookup"): frozenset({PLATFORM}),
    ("GET", "/hma/m/raw_lookup"): frozenset({PLATFORM}),
    ("GET", "/hma/m/index/status"): frozenset({PLATFORM}),
    ("POST", "/hma/m/compare"): frozenset({PLATFORM}),
    ("GET", "/hma/c/banks"): CURATORS,
    ("POST", "/hma/c/banks"): CURATORS,
    ("GET", "/hma/c/bank/{bank_name}"): CURATORS,
    ("PUT", "/hma/c/bank/{bank_name}"): CURATORS,
    ("DELETE", "/hma/c/bank/{bank_name}"): CURATORS,
    ("POST", "/hma/c/bank/{bank_name}/content"): CURATORS,
    ("POST", "/hma/c/bank/{bank_name}/signal"): CURATORS,
    ("GET", "/hma/c/bank/{bank_name}/content/{content_id}"): CURATORS,
    ("PUT", "/hma/c/bank/{bank_name}/content/{content_id}"): CURATORS,
    ("DELETE", "/hma/c/bank/{bank_name}/content/{content_id}"): CURATORS,
    ("GET", "/hma/c/signal_type"): CURATORS,
    ("GET", "/hma/c/signal_type/index"): CURATORS,
    ("GET", "/hma/c/content_type"): CURATORS,
    ("GET", "/hma/c/exchanges/apis"): CURATORS,
    ("GET", "/hma/c/exchanges/api/{api_name}"): CURATORS,
    ("POST", "/hma/c/exchanges/api/{api_name}"): CURATORS,
    ("GET", "/hma/c/exchanges/api/{api_name}/schema"): CURATORS,
    ("GET", "/hma/c/exchanges"): CURATORS,
    ("POST", "/hma/c/exchanges"): CURATORS,
    ("GET", "/hma/c/exchange/{exchange_name}"): CURATORS,
    ("PUT", "/hma/c/exchange/{exchange_name}"): CURATORS,
    ("DELETE", "/hma/c/exchange/{exchange_name}"): CURATORS,
    ("GET", "/hma/c/exchange/{exchange_name}/status"): CURATORS,
}

# What the path's placeholders are filled with: names of nothing, so no cell changes data
# another cell depends on; a guard must answer before the lookup does.
PLACEHOLDERS = {
    "{content_id}": "p-missing",
    "{status_token}": "no-such-token",
    "{token}": "no-such-token",
    "{case_id}": "case_missing",
    "{name}": "no-such-bank",
    "{item_id}": "item_missing",
    "{hash_id}": "999999",
    "{bank_name}": "NO_SUCH_BANK",
    "{api_name}": "no_such_api",
    "{exchange_name}": "NO_SUCH_EXCHANGE",
}


def served_routes(app: object, prefix: str = "") -> set[tuple[str, str]]:
    """(method, path) for every route the app answers, HEAD aside (it follows GET), the routes
    of mounted applications (the HMA API under /hma) included."""
    found: set[tuple[str, str]] = set()
    for route in app.router.routes:  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            # The HMA app sits behind a wrapper that merges doubled slashes, as HMA does.
            inner = getattr(route.app, "app", route.app)
            if hasattr(inner, "router"):
                found |= served_routes(inner, prefix + route.path)
            else:
                found.add(("GET", prefix + route.path))
    for context in iter_route_contexts(app.router.routes):  # type: ignore[attr-defined]
        for method in context.methods or ():
            if method != "HEAD":
                found.add((method, prefix + context.path))
    return found


def test_every_route_has_a_row(api: Api) -> None:
    served = served_routes(api.client.app)
    assert served - MATRIX.keys() == set(), "routes with no row in the authorization matrix"
    assert MATRIX.keys() - served == set(), "rows for routes the app no longer serves"


@dataclass
class Caller:
    client: TestClient
    headers: dict[str, str]
    csrf: str | None = None


@pytest.fixture
def callers(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Caller]]:
    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    app = api.client.app
    made: dict[str, Caller] = {
        ANON: Caller(TestClient(app), {}),
        PLATFORM: Caller(TestClient(app), api.key("platform")),
        WRONG_KEY: Caller(TestClient(app), {"Authorization": "Bearer td_not-a-key-at-all"}),
    }
    for role in sorted(STAFF):
        staff_user(api, f"{role}-person", role)
        client = TestClient(app)
        csrf = sign_in(client, f"{role}-person")
        made[role] = Caller(client, api.key(role, f"{role}-person"), csrf)
    yield made
    for caller in made.values():
        caller.client.close()


def call(caller: Caller, method: str, path: str) -> Response:
    url = path
    for placeholder, value in PLACEHOLDERS.items():
        url = url.replace(placeholder, value)
    if url == "/static":
        url = "/static/no-such-file.css"
    headers = dict(caller.headers)
    if url.startswith("/staff") and caller.csrf:
        headers["x-csrf-token"] = caller.csrf
    if method == "GET":
        return caller.client.get(url, headers=headers, follow_redirects=False)
    if url.startswith("/v1"):
        return caller.client.request(method, url, headers=headers, json={})
    headers["origin"] = "http://testserver"  # the pages' forms refuse other sites' posts
    # A form token that is no longer valid: the public forms answer it with their own page.
    form = {"form_token": "expired"}
    return caller.client.request(method, url, headers=headers, data=form, follow_redirects=False)


def refused(method: str, response: Response) -> bool:
    """401/403; for a staff page opened without a session, the redirect to the log-in form."""
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("location", "")
    redirect = response.status_code in (302, 303, 307)
    return method == "GET" and redirect and location.startswith("/staff/login")


def test_each_cell_answers_as_its_row_says(api: Api, callers: dict[str, Caller]) -> None:
    # Logging out ends the session the other staff cells use: it goes last.
    rows = sorted(MATRIX.items(), key=lambda row: row[0] == ("POST", "/staff/logout"))
    wrong: list[str] = []
    for (method, path), allowed in rows:
        for identity in IDENTITIES:
            response = call(callers[identity], method, path)
            expected = "allowed" if identity in allowed else "refused"
            got = "refused" if refused(method, response) else "allowed"
            if response.status_code >= 500:
                got = f"server error {response.status_code}"
            if got != expected:
                wrong.append(f"{method} {path} as {identity}: {got} ({response.status_code})")
    assert wrong == [], "\n".join(wrong)
