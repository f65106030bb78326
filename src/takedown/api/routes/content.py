"""Platform endpoints: register uploads and read their state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from takedown.api.deps import STAFF, require, runtime
from takedown.api.errors import ApiError
from takedown.api.presenters import signals_of
from takedown.api.schemas import ContentOut, ContentStatusOut, ContentUpdateIn
from takedown.api.upload_slots import upload_slot
from takedown.domain.vocabulary import MAX_ITEM_TEXT, MEDIA_KINDS, ItemKind
from takedown.runtime import Runtime
from takedown.services import thumbnails
from takedown.services.access import Principal, Role
from takedown.services.content import SignalValue, register_content, update_content
from takedown.services.errors import NotFound
from takedown.services.evidence import capture_upload
from takedown.services.matching import hold_video
from takedown.signals import SIGNAL_TYPES, indexed_signals
from takedown.signals.hashing import hash_media
from takedown.signals.media import MediaLimits, MediaRejected, check_size, sniff_kind
from takedown.signals.media_type import detected_type
from takedown.store.models import CaseItem, ContentItem

router = APIRouter(tags=["platform"])

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


def hash_upload(data: bytes) -> tuple[list[SignalValue], bytes | None]:
    """The signals of an uploaded file, and the bytes again when it is a video.

    Images are hashed here, in the request (PDQ with quality, its dihedral variants, MD5,
    SHA-256). A video gets its digests now and its vPDQ from a job (`hold_video`), so the
    upload is answered fast. Bad media are a 4xx in the error shape (`MediaRejected`).
    """
    limits = MediaLimits(max_bytes=MAX_UPLOAD_BYTES)
    try:
        check_size(len(data), limits)
        if sniff_kind(data) == "video":
            # Every signal that hashes a video file itself now (the digests); vPDQ comes later.
            now_values = [
                SignalValue(s.name, value)
                for s in indexed_signals()
                if "video" in s.media_kinds and (value := s.hash_file(data, "video", limits))
            ]
            return now_values, data
        signals = hash_media(data, limits)
    except MediaRejected as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    return [SignalValue(*row) for row in signals.rows()], None


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
    parsed = parse_signals(signals)
    media_type = None
    upload: bytes | None = None
    video: bytes | None = None
    small: bytes | None = None  # the reporter's thumbnail of an image (services.thumbnails)
    if file is not None:
        upload = await read_upload(file)
        hashed, video = await run_in_threadpool(hash_upload, upload)
        # The declared type (file.content_type) is the uploader's claim and is never kept.
        media_type = await run_in_threadpool(detected_type, upload)
        if video is None and media_type and media_type.startswith("image/"):
            small = await run_in_threadpool(thumbnails.shrink, upload)
        given = {s.signal for s in parsed}
        parsed.extend(s for s in hashed if s.signal not in given)
    if not parsed and (kind in MEDIA_KINDS or (kind is None and text is None)):
        # An image or video is only useful hashed; an item without media says what it is.
        raise ApiError(
            422,
            "missing_media",
            "send the media as `file`, or its `signals`; for an item without media give "
            "`kind` (text, link, profile, other) or its `text`",
        )
    if kind is None and not parsed:
        kind = ItemKind.TEXT

    def store() -> dict[str, Any]:
        # The database work runs on a worker thread: on the event loop, one registration
        # held up every other request of the process (issue 15).
        held: Path | None = None
        kept: str | None = None
        try:
            with rt.transaction() as session:
                result = register_content(
                    session,
                    rt.clock.now(),
                    content_id,
                    account_id,
                    url,
                    parsed,
                    media_type,
                    hold_for_hashing=video is not None,
                    kind=kind.value if kind is not None else None,
                    text=text,
                    title=title,
                )
                if upload is not None:
                    # Hidden in this same request: the uploaded bytes become the evidence copy now.
                    capture_upload(session, result.item, upload, media_type, rt.clock.now())
                if (
                    small is not None
                    and result.created
                    and thumbnails.keep(session, result.item, small)
                ):
                    kept = result.item.id
                if video is not None and result.created:
                    # Kept only until the video.hash job has hashed it (services.matching).
                    held = rt.settings.data_dir / "held-videos" / result.item.id
                    held.parent.mkdir(parents=True, exist_ok=True)
                    held.write_bytes(video)
                    hold_video(session, result.item, held, rt.clock.now())
                out = {
                    "content_id": result.item.content_id,
                    "verdict": result.verdict,
                    "state": result.item.state,
                    "signals": signals_of(result.item),
                    "matches": result.matches,
                }
        except BaseException:
            if held is not None:  # bad input leaves nothing behind
                held.unlink(missing_ok=True)
            if kept is not None:
                thumbnails.discard(rt.settings, kept)
            raise
        return out

    out = await run_in_threadpool(store)
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
