"""Platform endpoints: register uploads and read their state."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from takedown.api.deps import STAFF, require, runtime
from takedown.api.errors import ApiError
from takedown.api.presenters import signals_json
from takedown.api.schemas import ContentOut, ContentStatusOut, ContentUpdateIn
from takedown.api.upload_slots import upload_slot
from takedown.domain.vocabulary import MAX_ITEM_TEXT, ItemKind
from takedown.runtime import Runtime
from takedown.services.access import Principal, Role
from takedown.services.content import SignalValue, update_content
from takedown.services.errors import NotFound
from takedown.services.uploads import MAX_UPLOAD_BYTES, Upload, receive_upload
from takedown.signals import SIGNAL_TYPES
from takedown.store.models import CaseItem, ContentItem

router = APIRouter(tags=["platform"])


def parse_signals(text: str | None) -> list[SignalValue]:
    """Validate the `signals` form field: lower-case hex of the right length per signal."""
    if not text:
        return []
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raise ApiError(400, "malformed_signals", "signals must be a JSON object") from None
    if not isinstance(raw, dict):
        raise ApiError(422, "invalid_signals", "signals must be a JSON object")
    quality = raw.get("pdq_quality")
    if quality is not None and (not isinstance(quality, int) or not 0 <= quality <= 100):
        raise ApiError(422, "invalid_signals", "pdq_quality must be an integer from 0 to 100")
    out: list[SignalValue] = []
    for name, value in raw.items():
        if name == "pdq_quality":
            continue
        if name not in SIGNAL_TYPES:
            raise ApiError(422, "unknown_signal", f"unknown signal {name!r}")
        if isinstance(value, str) and value != value.strip():
            raise ApiError(422, "invalid_signals", f"{name} must not have spaces around it")
        try:
            canonical = SIGNAL_TYPES[name].validate(value)
        except ValueError as exc:
            raise ApiError(422, "invalid_signals", str(exc)) from None
        out.append(SignalValue(name, canonical, quality if name == "pdq" else None))
    return out


async def read_upload(file: UploadFile) -> bytes:
    data = bytearray()
    while chunk := await file.read(1 << 20):
        data.extend(chunk)
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(
                413, "file_too_large", f"files over {MAX_UPLOAD_BYTES} bytes are refused"
            )
    if not data:
        raise ApiError(422, "empty_file", "the uploaded file is empty")
    return bytes(data)


@router.post("/v1/content", response_model=ContentOut)
async def post_content(
    content_id: str = Form(..., min_length=1, max_length=200),
    account_id: str = Form(..., min_length=1, max_length=200),
    url: str | None = Form(None, max_length=2000),
    signals: str | None = Form(None),
    file: UploadFile | None = File(None),
    kind: ItemKind | None = Form(None),
    text: str | None = Form(None, max_length=MAX_ITEM_TEXT),
    title: str | None = Form(None, max_length=300),
    who: Principal = Depends(require(Role.PLATFORM, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
    _slot: None = Depends(upload_slot),
) -> dict[str, Any]:
    upload = Upload(
        content_id=content_id,
        account_id=account_id,
        url=url,
        signals=parse_signals(signals),
        file=await read_upload(file) if file is not None else None,
        kind=kind,
        text=text,
        title=title,
    )
    # Hashing and the database block: on the event loop, one registration held up every
    # other request of the process (issue 15).
    answer = await run_in_threadpool(
        receive_upload, rt.transaction, rt.clock, rt.installation, upload
    )
    rt.metrics.content.labels(verdict=answer.verdict).inc()
    return {
        "content_id": answer.content_id,
        "verdict": answer.verdict,
        "state": answer.state,
        "signals": signals_json(answer.signals),
        "matches": answer.matches,
    }


@router.get("/v1/content/{content_id}", response_model=ContentStatusOut)
def get_content(
    content_id: str,
    who: Principal = Depends(require(Role.PLATFORM, *STAFF)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.transaction() as session:
        item = session.scalars(
            select(ContentItem).where(ContentItem.content_id == content_id)
        ).first()
        if item is None:
            raise NotFound(f"no content registered with id {content_id!r}", "content_not_found")
        case_ids = list(
            session.scalars(select(CaseItem.case_id).where(CaseItem.item_id == item.id))
        )
        return content_status(item, case_ids)


def content_status(item: ContentItem, case_ids: list[str]) -> dict[str, Any]:
    return {
        "content_id": item.content_id,
        "account_id": item.account_id,
        "state": item.state,
        "case_ids": case_ids,
        "kind": item.kind,
        "text": item.text,
        "views": item.views,
    }


@router.patch("/v1/content/{content_id}", response_model=ContentStatusOut)
def patch_content(
    content_id: str,
    body: ContentUpdateIn,
    who: Principal = Depends(require(Role.PLATFORM, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.transaction() as session:
        item = update_content(session, rt.clock.now(), content_id, body.views, body.text)
        case_ids = list(
            session.scalars(select(CaseItem.case_id).where(CaseItem.item_id == item.id))
        )
        return content_status(item, case_ids)
