"""Platform endpoints: register uploads and read their state."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from sqlalchemy import select

from takedown.api.deps import STAFF, require, runtime
from takedown.api.errors import ApiError
from takedown.api.presenters import signals_of
from takedown.api.schemas import ContentOut, ContentStatusOut
from takedown.runtime import Runtime
from takedown.services.access import Principal, Role
from takedown.services.content import SignalValue, register_content
from takedown.services.errors import NotFound
from takedown.store.models import CaseItem, ContentItem

router = APIRouter(tags=["platform"])

_HEX = {"pdq": 64, "md5": 32, "sha256": 64}
MAX_UPLOAD_BYTES = 100 * 1024 * 1024


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
        if name == "vpdq":
            if not isinstance(value, list) or not value:
                raise ApiError(422, "invalid_signals", "vpdq must be a non-empty list of frames")
            out.append(SignalValue("vpdq", json.dumps(value)))
            continue
        if name not in _HEX:
            raise ApiError(422, "unknown_signal", f"unknown signal {name!r}")
        if not isinstance(value, str) or not re.fullmatch(rf"[0-9a-fA-F]{{{_HEX[name]}}}", value):
            raise ApiError(
                422, "invalid_signals", f"{name} must be {_HEX[name]} hexadecimal characters"
            )
        out.append(SignalValue(name, value.lower(), quality if name == "pdq" else None))
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
    who: Principal = Depends(require(Role.PLATFORM, Role.ADMIN)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    parsed = parse_signals(signals)
    media_type = None
    if file is not None:
        data = await read_upload(file)
        media_type = file.content_type
        given = {s.signal for s in parsed}
        for name, digest in (("md5", hashlib.md5), ("sha256", hashlib.sha256)):
            if name not in given:
                parsed.append(SignalValue(name, digest(data).hexdigest()))
    if not parsed:
        raise ApiError(422, "missing_media", "send the media as `file`, or its `signals`")
    with rt.transaction() as session:
        result = register_content(
            session, rt.clock.now(), content_id, account_id, url, parsed, media_type
        )
        out = {
            "content_id": result.item.content_id,
            "verdict": result.verdict,
            "state": result.item.state,
            "signals": signals_of(result.item),
            "matches": result.matches,
        }
    rt.metrics.content.labels(verdict=out["verdict"]).inc()
    return out


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
        return {
            "content_id": item.content_id,
            "account_id": item.account_id,
            "state": item.state,
            "case_ids": case_ids,
        }
