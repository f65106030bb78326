"""Platform endpoints: register uploads and read their state."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUploadFile

from takedown.api.deps import STAFF, api_key, ensure_role, principal_of_key, require, runtime
from takedown.api.errors import ApiError
from takedown.api.presenters import signals_json
from takedown.api.schemas import ContentOut, ContentStatusOut, ContentUpdateIn
from takedown.api.upload_slots import UploadSlots
from takedown.domain.vocabulary import MAX_ITEM_TEXT, ItemKind
from takedown.runtime import Runtime
from takedown.services.access import Principal, Role
from takedown.services.content import SignalValue, update_content
from takedown.services.errors import NotFound
from takedown.services.uploads import MAX_UPLOAD_BYTES, Upload, Verdict, receive_upload
from takedown.signals import SIGNAL_TYPES
from takedown.store.models import CaseItem, ContentItem

router = APIRouter(tags=["platform"])
UPLOADERS = frozenset({Role.PLATFORM, Role.ADMIN})


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


class ContentForm(BaseModel):
    """The form fields of `POST /v1/content` (API.md), validated after the caller's key."""

    content_id: str = Field(min_length=1, max_length=200)
    account_id: str = Field(min_length=1, max_length=200)
    url: str | None = Field(None, max_length=2000)
    signals: str | None = None
    kind: ItemKind | None = None
    text: str | None = Field(None, max_length=MAX_ITEM_TEXT)
    title: str | None = Field(None, max_length=300)


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def _form_schema() -> dict[str, Any]:
    """The multipart body as OpenAPI describes it: FastAPI cannot, since the route reads its
    form itself (`post_content`)."""
    schema = ContentForm.model_json_schema()
    body = _inline_refs(schema, schema.get("$defs", {}))
    body["properties"]["file"] = {"type": "string", "format": "binary", "title": "File"}
    body["title"] = "ContentForm"
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": body}},
        }
    }


def _field_values(form: FormData) -> dict[str, Any]:
    """The form's values by field; an empty value counts as absent, as FastAPI's `Form` has it."""
    values: dict[str, Any] = {}
    for name in ContentForm.model_fields:
        value = form.get(name)
        if value is not None and value != "":
            values[name] = value
    return values


def _uploaded_file(form: FormData) -> StarletteUploadFile | None:
    value = form.get("file")
    if value is None or value == "":
        return None
    if not isinstance(value, StarletteUploadFile):
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "file"), "msg": "expected a file"}]
        )
    return value


def _validated(form: FormData) -> ContentForm:
    try:
        return ContentForm.model_validate(_field_values(form))
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from None


def read_upload(file: StarletteUploadFile) -> bytes:
    """The uploaded file's bytes, on a worker thread (the spooled file may be on disk)."""
    data = bytearray()
    while chunk := file.file.read(1 << 20):
        data.extend(chunk)
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(
                413, "file_too_large", f"files over {MAX_UPLOAD_BYTES} bytes are refused"
            )
    if not data:
        raise ApiError(422, "empty_file", "the uploaded file is empty")
    return bytes(data)


def authorized(rt: Runtime, key: str) -> Principal:
    """The caller of `key`, refused 401 (unknown, revoked) or 403 (not an uploader)."""
    return ensure_role(principal_of_key(rt, key), UPLOADERS)


def register(rt: Runtime, form: FormData, file: StarletteUploadFile | None) -> Verdict:
    """Everything blocking of an authorised registration, in the order the API answers
    refusals: the fields (422), the file (413), then the upload."""
    fields = _validated(form)
    upload = Upload(
        content_id=fields.content_id,
        account_id=fields.account_id,
        url=fields.url,
        signals=parse_signals(fields.signals),
        file=read_upload(file) if file is not None else None,
        kind=fields.kind,
        text=fields.text,
        title=fields.title,
    )
    return receive_upload(rt.transaction, rt.clock, rt.installation, upload)


def authorized_registration(rt: Runtime, key: str, form: FormData) -> Verdict:
    """The key (401, 403) and then `register`, on one worker thread."""
    authorized(rt, key)
    return register(rt, form, None)


async def _read_form(request: Request) -> FormData:
    try:
        return await request.form()
    except Exception as exc:
        # As FastAPI answers a body it cannot parse (api.unavailable reads the cause).
        raise HTTPException(400, "There was an error parsing the body") from exc


@router.post("/v1/content", response_model=ContentOut, openapi_extra=_form_schema())
async def post_content(
    request: Request, key: str = Depends(api_key), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    # The route reads its form itself so that the key is looked up on the same worker thread
    # as the registration: as a dependency it was a thread hand-off and a connection of its
    # own per request, and FastAPI's per-field form handling cost as much again (issue 15).
    form = await _read_form(request)
    try:
        file = _uploaded_file(form)
        if file is None:
            answer = await run_in_threadpool(authorized_registration, rt, key, form)
        else:
            # An upload's slot is taken only once its key is known good (api.upload_slots).
            await run_in_threadpool(authorized, rt, key)
            slots: UploadSlots = request.app.state.upload_slots
            async with slots.held():
                answer = await run_in_threadpool(register, rt, form, file)
    finally:
        await form.close()
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
    who: Principal = Depends(require(*UPLOADERS)),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.transaction() as session:
        item = update_content(session, rt.clock.now(), content_id, body.views, body.text)
        case_ids = list(
            session.scalars(select(CaseItem.case_id).where(CaseItem.item_id == item.id))
        )
        return content_status(item, case_ids)
