"""`/hma/h`: HMA's hasher."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from takedown.api.deps import runtime
from takedown.hma import hashing
from takedown.hma.errors import HmaError
from takedown.runtime import Runtime

router = APIRouter(tags=["Hashing"])


@router.get("/hash")
def hash_url(
    url: str,
    content_type: str | None = None,
    types: str | None = None,
    rt: Runtime = Depends(runtime),
) -> dict[str, str]:
    """Fetch the media at `url` and answer its hash per signal type."""
    return hashing.hash_url(url, content_type, types, rt.settings.fetch_allow)


async def hash_form(request: Request) -> dict[str, str]:
    """One file, in a multipart field named after its content type (`photo` or `video`)."""
    kind_header = request.headers.get("content-type", "")
    if not kind_header.startswith("multipart/form-data"):
        raise HmaError(400, "Missing multipart/form-data file upload", "missing_file")
    form = await request.form()
    files = [(name, value) for name, value in form.multi_items() if isinstance(value, UploadFile)]
    if not files:
        raise HmaError(400, "Missing multipart/form-data file upload", "missing_file")
    if len(files) > 1:
        raise HmaError(400, "Only one file allowed per request", "too_many_files")
    name, upload = files[0]
    kind = hashing.content_kind(name)
    data = await upload.read()
    # Hashing a video takes seconds: off the event loop.
    return await run_in_threadpool(hashing.hash_bytes, data, kind, hashing.selected(kind, None))


@router.post("/hash")
async def hash_upload(request: Request) -> dict[str, str]:
    return await hash_form(request)
