"""`/hma/c`: HMA's curator: banks, bank content, signal and content types (exchanges:
`takedown.api.hma.exchanges`)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from takedown.api.deps import runtime
from takedown.api.hma.app import CURATOR
from takedown.api.hma.hashing import hash_form
from takedown.hma import banks as hma_banks
from takedown.hma import content, hashing
from takedown.hma import matching as hma_matching
from takedown.hma.errors import HmaError
from takedown.hma.signals import CONTENT_TYPES, SIGNALS
from takedown.runtime import Runtime

router = APIRouter(dependencies=[Depends(CURATOR)])


class BankCreateIn(BaseModel):
    name: str
    enabled_ratio: float | None = 1.0
    enabled: bool | None = None


class BankUpdateIn(BaseModel):
    name: str | None = None
    enabled_ratio: float | None = None
    enabled: bool | None = None


def _content_id(content_id: str) -> int:
    if not content_id.isdigit():
        raise HmaError(404, "The requested URL was not found on the server.", "not_found")
    return int(content_id)


async def read_body(request: Request) -> tuple[Any, FormData | None]:
    """A JSON body, or the form of a multipart one; (None, None) when there is neither."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data") or kind.startswith(
        "application/x-www-form-urlencoded"
    ):
        return None, await request.form()
    raw = await request.body()
    if not raw.strip():
        return None, None
    try:
        return json.loads(raw), None
    except ValueError:
        raise HmaError(400, "the request body is not valid JSON", "malformed_json") from None


# -- banks --------------------------------------------------------------------------------------


@router.get("/banks", tags=["Banks"])
def banks_index(rt: Runtime = Depends(runtime)) -> list[dict[str, Any]]:
    with rt.sessions() as session:
        return hma_banks.list_banks(session)


@router.post("/banks", status_code=201, tags=["Banks"])
def bank_create(
    body: BankCreateIn, who: str = Depends(CURATOR), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    if body.enabled_ratio is not None:
        ratio = body.enabled_ratio
    elif body.enabled is not None:
        ratio = 1.0 if body.enabled else 0.0
    else:
        ratio = 1.0
    with rt.transaction() as session:
        bank = hma_banks.create_bank(session, body.name, ratio, who, rt.clock.now())
        return hma_banks.bank_config(bank)


@router.get("/bank/{bank_name}", tags=["Banks"])
def bank_show(bank_name: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    with rt.sessions() as session:
        return hma_banks.bank_config(hma_banks.require_bank(session, bank_name))


@router.put("/bank/{bank_name}", tags=["Banks"])
def bank_update(
    bank_name: str, body: BankUpdateIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    with rt.transaction() as session:
        bank = hma_banks.update_bank(
            session, bank_name, body.name, body.enabled, body.enabled_ratio
        )
        return hma_banks.bank_config(bank)


@router.delete("/bank/{bank_name}", tags=["Banks"])
def bank_delete(bank_name: str, rt: Runtime = Depends(runtime)) -> dict[str, str]:
    with rt.transaction() as session:
        hma_banks.delete_bank(session, bank_name, rt.clock.now())
    return {"message": "Done"}


# -- bank content -------------------------------------------------------------------------------


@router.post("/bank/{bank_name}/content", tags=["Bank Content"])
async def bank_add_content(
    bank_name: str,
    request: Request,
    url: str | None = None,
    content_type: str | None = None,
    types: str | None = None,
    who: str = Depends(CURATOR),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Bank media from `url` or a multipart upload (field `photo` or `video`), with optional
    `metadata` and `note` (JSON body, or form fields). Answers 200, as HMA does."""
    with rt.sessions() as session:
        hma_banks.require_bank(session, bank_name)
    data, form = await read_body(request)
    metadata_raw: Any = None
    note_raw: Any = None
    if isinstance(data, dict):
        metadata_raw, note_raw = data.get("metadata"), data.get("note")
    elif form is not None:
        if "metadata" in form:
            try:
                metadata_raw = json.loads(str(form["metadata"]))
            except ValueError:
                raise HmaError(
                    400, "metadata form field must be valid JSON", "invalid_metadata"
                ) from None
        note_raw = form.get("note")
    metadata = content.validate_metadata(metadata_raw)
    note = content.validate_note(note_raw)
    if url:
        allow = rt.settings.fetch_allow
        hashes = await run_in_threadpool(hashing.hash_url, url, content_type, types, allow)
    elif form is not None:
        hashes = await hash_form(request)
    else:
        raise HmaError(400, "Neither `url` nor multipart file upload was received", "missing_media")
    return _add_signals(rt, bank_name, hashes, metadata, note, who)


def _add_signals(
    rt: Runtime,
    bank_name: str,
    hashes: dict[str, Any],
    metadata: dict[str, Any] | None,
    note: str | None,
    who: str,
) -> dict[str, Any]:
    signals = content.parse_signals(hashes)
    with rt.transaction() as session:
        bank = hma_banks.require_bank(session, bank_name)
        return content.add_content(session, bank, signals, metadata, note, who, rt.clock.now())


@router.post("/bank/{bank_name}/signal", tags=["Bank Content"])
async def bank_add_signals(
    bank_name: str, request: Request, who: str = Depends(CURATOR), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """Bank hashes directly: `{"pdq": "...", "note": "..."}`."""
    with rt.sessions() as session:
        hma_banks.require_bank(session, bank_name)
    data, _ = await read_body(request)
    if not isinstance(data, dict):
        raise HmaError(400, "this endpoint expects a json object payload", "invalid_request")
    data = dict(data)
    note = content.validate_note(data.pop("note", None))
    return _add_signals(rt, bank_name, data, None, note, who)


@router.get("/bank/{bank_name}/content/{content_id}", tags=["Bank Content"])
def bank_get_content(
    bank_name: str,
    content_id: str,
    include_signals: str = "false",
    include_metadata: str = "true",
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    cid = _content_id(content_id)
    with rt.sessions() as session:
        bank = hma_banks.require_bank(session, bank_name)
        rows = content.require_content(session, bank, cid)
        return content.content_json(
            bank, rows, include_signals.lower() == "true", include_metadata.lower() == "true"
        )


@router.put("/bank/{bank_name}/content/{content_id}", tags=["Bank Content"])
async def bank_update_content(
    bank_name: str, content_id: str, request: Request, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    cid = _content_id(content_id)
    data, _ = await read_body(request)
    with rt.transaction() as session:
        bank = hma_banks.require_bank(session, bank_name)
        return content.update_content(session, bank, cid, data, rt.clock.now())


@router.delete("/bank/{bank_name}/content/{content_id}", tags=["Bank Content"])
def bank_delete_content(
    bank_name: str, content_id: str, rt: Runtime = Depends(runtime)
) -> dict[str, int]:
    cid = _content_id(content_id)
    with rt.transaction() as session:
        bank = hma_banks.require_bank(session, bank_name)
        return {"deleted": content.delete_content(session, bank, cid, rt.clock.now())}


# -- signal and content types -------------------------------------------------------------------


@router.get("/signal_type", tags=["Configuration"])
def signal_types() -> list[dict[str, Any]]:
    return [{"name": name, "enabled_ratio": 1.0} for name in SIGNALS]


@router.get("/signal_type/index", tags=["Configuration"])
def signal_type_index(
    signal_type: str | None = None, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """Per signal type, the index against the database: never out of date, since every lookup
    first takes in the rows added since the last."""
    names = hma_matching.selected_signals(signal_type)
    with rt.sessions() as session:
        sizes = hma_matching.index_sizes(session)
    return {
        n: {
            "db_size": sizes[n][0],
            "index_size": sizes[n][0],
            "index_out_of_date": False,
            "newest_db_item": sizes[n][1],
            "index_built_to": sizes[n][1],
        }
        for n in names
    }


@router.get("/content_type", tags=["Configuration"])
def content_types() -> list[dict[str, Any]]:
    return [{"name": name, "enabled": True} for name in CONTENT_TYPES]
