"""Bank endpoints (roles admin and lead) and `/v1/match` (platform and staff)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from takedown.api.deps import STAFF, require, runtime
from takedown.api.errors import ApiError
from takedown.clock import rfc3339
from takedown.runtime import Runtime
from takedown.services import banks, match_policy
from takedown.services.access import Principal, Role
from takedown.services.errors import Invalid
from takedown.services.match_index import MediaQuery
from takedown.services.matching import live_bank_matches

router = APIRouter(tags=["banks"])

BANK_ROLES = (Role.ADMIN, Role.LEAD)
MAX_HASHES_BYTES = 64 * 1024 * 1024


class BankIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    action: Literal["block", "hold", "review"]
    child_safety: bool = False
    description: str | None = Field(default=None, max_length=2000)
    pdq_threshold: int | None = Field(default=None, ge=0, le=128)
    # Known benign media: entries never act, they veto perceptual matches (match_quality).
    suppression: bool = False


class BankOut(BaseModel):
    name: str
    action: str
    child_safety: bool
    description: str | None
    pdq_threshold: int | None
    created_at: str
    created_by: str
    hash_count: int | None = None
    suppression: bool = False
    enabled_ratio: float = 1.0
    quarantined_count: int | None = None


class BankListOut(BaseModel):
    banks: list[BankOut]


class HashesAddedOut(BaseModel):
    bank: str
    added: int
    duplicates: int
    scan: Literal["queued", "none"]


class MatchIn(BaseModel):
    signal: str = Field(min_length=1, max_length=20)
    value: Any
    # Only these banks' matches (suppression banks still veto).
    banks: list[str] | None = Field(default=None, max_length=1000)


class BankMatchOut(BaseModel):
    bank: str
    signal: str
    distance: int
    threshold: int | None
    bank_content_id: int
    exchange: str | None
    upstream_id: str | None
    quarantined: bool


class MatchesOut(BaseModel):
    matches: list[BankMatchOut]


@router.post("/v1/banks", status_code=201, response_model=BankOut)
def post_bank(
    body: BankIn,
    who: Principal = Depends(require(*BANK_ROLES)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.transaction() as session:
        bank = banks.create_bank(
            session,
            body.name,
            body.action,
            body.child_safety,
            body.description,
            who.name,
            rt.clock.now(),
            body.pdq_threshold,
            body.suppression,
        )
        return banks.bank_json(bank, 0, 0)


@router.get("/v1/banks", response_model=BankListOut)
def get_banks(
    who: Principal = Depends(require(*BANK_ROLES)), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    with rt.transaction() as session:
        quarantined = banks.quarantined_counts(session)
        return {
            "banks": [
                banks.bank_json(b, n, quarantined.get(b.id, 0))
                for b, n in banks.list_banks(session)
            ]
        }


async def read_hashes(request: Request) -> list[banks.HashEntry]:
    """A JSON body, a `text/csv` body, or a multipart upload of a CSV file (field `file`)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "missing_file", "send the CSV as the multipart field `file`")
        raw = await upload.read(MAX_HASHES_BYTES + 1)
        return banks.parse_csv_hashes(_text(raw))
    raw = await request.body()
    if len(raw) > MAX_HASHES_BYTES:
        raise ApiError(413, "too_large", f"send at most {MAX_HASHES_BYTES} bytes of hashes")
    if kind in ("text/csv", "text/plain", "application/csv"):
        return banks.parse_csv_hashes(_text(raw))
    if kind in ("application/json", ""):
        import json

        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, "malformed_json", "the request body is not valid JSON") from None
        return banks.parse_json_hashes(body)
    raise ApiError(
        415, "unsupported_media_type", "send application/json, text/csv or a multipart CSV file"
    )


def _text(raw: bytes) -> str:
    if len(raw) > MAX_HASHES_BYTES:
        raise ApiError(413, "too_large", f"send at most {MAX_HASHES_BYTES} bytes of hashes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("the CSV must be UTF-8 text", "invalid_hashes") from None


@router.post("/v1/banks/{name}/hashes", status_code=201, response_model=HashesAddedOut)
async def post_hashes(
    name: str,
    request: Request,
    who: Principal = Depends(require(*BANK_ROLES)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.transaction() as session:
        banks.get_bank(session, name)  # an unknown bank is a 404 before the body is read
    entries = await read_hashes(request)
    with rt.transaction() as session:
        bank = banks.get_bank(session, name)
        result = banks.add_hashes(session, bank, entries, who.name, rt.clock.now())
    return {
        "bank": name,
        "added": result.added,
        "duplicates": result.duplicates,
        "scan": "queued" if result.added else "none",
    }


@router.get("/v1/banks/{name}/hashes.csv")
def get_hashes_csv(
    name: str, who: Principal = Depends(require(*BANK_ROLES)), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.transaction() as session:
        text = banks.export_csv(session, banks.get_bank(session, name))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/v1/banks/{name}/quarantined")
def get_quarantined(
    name: str, who: Principal = Depends(require(*BANK_ROLES)), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """The bank's entries that flood quarantine stopped, for a lead to look at."""
    with rt.sessions() as session:
        rows = match_policy.quarantined_entries(session, banks.get_bank(session, name))
        return {
            "entries": [
                {
                    "bank_hash_id": r.id,
                    "signal": r.signal,
                    "value": r.value,
                    "note": r.note,
                    "quarantined_at": rfc3339(r.quarantined_at) if r.quarantined_at else None,
                }
                for r in rows
            ]
        }


@router.post("/v1/banks/{name}/quarantined/{hash_id}/release")
def post_release(
    name: str,
    hash_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    who: Principal = Depends(require(*BANK_ROLES)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """A lead lets a quarantined entry act again (its flood count starts afresh)."""
    with rt.transaction() as session:
        bank = banks.get_bank(session, name)
        if not match_policy.release(session, bank, hash_id):
            raise ApiError(
                404, "not_quarantined", f"entry {hash_id} of {name!r} is not quarantined"
            )
    return {"bank": name, "bank_hash_id": hash_id, "released": True}


@router.post("/v1/match", response_model=MatchesOut)
def post_match(
    body: MatchIn,
    who: Principal = Depends(require(Role.PLATFORM, *STAFF)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Which bank entries a hash matches. Stores nothing: a lookup, not a registration."""
    try:
        signal, value = banks.canonical(body.signal, body.value)
    except ValueError as exc:
        raise Invalid(str(exc), "invalid_hash") from None
    with rt.sessions() as session:  # read-only: nothing to commit
        rt.matcher.refresh(session)
        only = set(body.banks) if body.banks is not None else None
        query = MediaQuery.of_hash(signal, value)
        found = live_bank_matches(session, rt.matcher, query, rt.clock.now(), only)
    return {"matches": [m.as_json() for m in found]}
