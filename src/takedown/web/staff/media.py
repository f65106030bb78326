"""Media on the review pages: blurred previews, deliberate reveals, and unguessable URLs.

- Media are served only at `/staff/media/<token>`: a token signed with the installation secret,
  bound to the viewer's log-in session, to one item and one purpose, and expiring within
  minutes. A URL copied out of the page is useless to anyone else or later.
- The preview is made on the server from a tiny, blurred copy: even with the page's CSS filter
  removed it shows nothing recognisable (DESIGN rule 9). Video has no preview.
- The full media are served only after a recorded reveal, only to the reviewer holding the case.
"""

from __future__ import annotations

import io
import secrets
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from takedown.runtime import Runtime
from takedown.services import review
from takedown.services.cases import get_case
from takedown.services.errors import ServiceError
from takedown.services.evidence import carries_text_only
from takedown.services.staff_sessions import StaffLogin
from takedown.signals.media_type import OPAQUE, detected_type
from takedown.store.models import Case
from takedown.web.staff.auth import ALL_STAFF, allow, csrf_checked, runtime
from takedown.web.staff.rendering import render

PREVIEW = "preview"
FULL = "full"
TOKEN_AGE = {PREVIEW: timedelta(minutes=30), FULL: timedelta(minutes=5)}
PREVIEW_PIXELS = 12

router = APIRouter(include_in_schema=False)


# -- where media come from (services.evidence, when it is installed) --------------------------


def media_available(session: Session, item_id: str) -> bool:
    """Whether preserved media exist for the item, without reading (or logging) them."""
    try:
        from takedown.services import evidence
    except ImportError:
        return False
    finder = getattr(evidence, "record_for_item", None)
    if finder is None:
        return False
    record = finder(session, item_id)
    return record is not None and getattr(record, "status", None) == "stored"


def load_media(
    session: Session, item_id: str, actor: str, now: datetime
) -> tuple[bytes, str] | None:
    """The item's preserved media and their type, or None; each read is logged by evidence."""
    try:
        from takedown.services import evidence
    except ImportError:
        return None
    reader = getattr(evidence, "read_media", None)
    if reader is None:
        return None
    found: tuple[bytes, str] | None = reader(session, item_id, actor, now)
    return found


# -- tokens ----------------------------------------------------------------------------------


def _serializer(rt: Runtime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(rt.settings.secret_key, salt="takedown.staff.media")


def media_token(rt: Runtime, login: StaffLogin, case_id: str, item_id: str, kind: str) -> str:
    # The nonce makes each page's URLs different, so a URL seen once says nothing about others.
    payload = {
        "c": case_id,
        "i": item_id,
        "k": kind,
        "s": login.session_hash[:24],
        "n": secrets.token_urlsafe(6),
    }
    return _serializer(rt).dumps(payload)


def read_token(rt: Runtime, token: str, login: StaffLogin) -> dict[str, Any] | None:
    try:
        payload = _serializer(rt).loads(token, max_age=int(TOKEN_AGE[FULL].total_seconds() * 6))
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(payload, dict) or payload.get("k") not in TOKEN_AGE:
        return None
    if payload.get("s") != login.session_hash[:24]:
        return None
    try:
        _serializer(rt).loads(token, max_age=int(TOKEN_AGE[payload["k"]].total_seconds()))
    except (SignatureExpired, BadSignature):
        return None
    return payload


# -- the media item as the case page shows it ------------------------------------------------


def item_view(
    session: Session,
    rt: Runtime,
    login: StaffLogin,
    case: Case,
    item_id: str,
    revealed: bool,
) -> dict[str, Any]:
    link = next(link for link in case.links if link.item_id == item_id)
    item = link.item
    text_only = carries_text_only(item)
    # A message is shown from its registered text, behind the same recorded reveal as media.
    available = text_only or media_available(session, item.id)
    kind = "text" if text_only else (item.media_type or "").split("/")[0] or "unknown"
    view: dict[str, Any] = {
        "item": item,
        "link": link,
        "available": available,
        "kind": kind,
        "revealed": revealed and available,
        "preview_url": None,
        "full_url": None,
    }
    if available and kind not in ("video", "text"):
        view["preview_url"] = f"/staff/media/{media_token(rt, login, case.id, item.id, PREVIEW)}"
    if revealed and available and kind != "text":
        view["full_url"] = f"/staff/media/{media_token(rt, login, case.id, item.id, FULL)}"
    return view


# -- endpoints -------------------------------------------------------------------------------


@router.post("/staff/cases/{case_id}/items/{item_id}/reveal", response_class=HTMLResponse)
def reveal_item(
    case_id: str,
    item_id: str,
    request: Request,
    login: StaffLogin = Depends(allow(*ALL_STAFF)),
    _: None = Depends(csrf_checked),
    rt: Runtime = Depends(runtime),
) -> Response:
    """Reveal one item: recorded as an event; refused unless the case is claimed by this user."""
    idle = timedelta(minutes=rt.settings.claim_idle_minutes)
    error: ServiceError | None = None
    with rt.transaction() as session:
        case = get_case(session, case_id)
        try:
            review.reveal(session, case, item_id, login.principal, rt.clock.now(), idle)
        except ServiceError as exc:
            error = exc
    if error is not None and error.status == 404:
        return HTMLResponse("<p class='error'>Not part of this case.</p>", status_code=404)
    with rt.transaction() as session:
        case = get_case(session, case_id)
        view = item_view(session, rt, login, case, item_id, revealed=error is None)
        settings = review.viewing_settings(login.user)
        context = {
            "case": case,
            "media": view,
            "viewing": settings,
            "error": error.message if error else None,
        }
        if "hx-request" in request.headers:
            return render(request, "staff/_media.html", context, error.status if error else 200)
    from takedown.web.staff.pages import case_page

    return case_page(
        request,
        case_id,
        login,
        rt,
        revealed={item_id} if error is None else set(),
        error=error,
    )


@router.get("/staff/media/{token}")
def serve_media(
    token: str, login: StaffLogin = Depends(allow(*ALL_STAFF)), rt: Runtime = Depends(runtime)
) -> Response:
    """Media bytes for a valid token of this session; a plain 404 for anything else."""
    payload = read_token(rt, token, login)
    if payload is None:
        return Response("not found", status_code=404, media_type="text/plain")
    now = rt.clock.now()
    idle = timedelta(minutes=rt.settings.claim_idle_minutes)
    with rt.transaction() as session:
        case = session.get(Case, payload["c"])
        if case is None or not any(link.item_id == payload["i"] for link in case.links):
            return Response("not found", status_code=404, media_type="text/plain")
        if payload["k"] == FULL:
            held = review.active_claim(session, case.id, now, idle)
            if held is None or held.claimed_by != login.user.name:
                return Response("claim the case first", status_code=403, media_type="text/plain")
        found = load_media(session, payload["i"], login.user.name, now)
    if found is None:
        return Response("media not available", status_code=404, media_type="text/plain")
    data, _stored_type = found
    if payload["k"] == PREVIEW:
        data, _stored_type = blurred_preview(data)
    return inert_media(data)


# Nothing in a media response may run: no scripts, no subresources, no same-origin access even
# if a browser were to render it as a document (issue 10.1: a PNG+HTML polyglot declared
# text/html read a CSRF token and decided a case as the reviewer who opened it).
INERT_HEADERS = {
    "Cache-Control": "no-store, private",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def inert_media(data: bytes) -> Response:
    """Media bytes as staff receive them: typed by what the bytes decode as (checked again here,
    so a type stored before this rule, or by mistake, is never believed), and anything that is
    not a decodable image or video only as a download."""
    media_type = detected_type(data)
    if media_type is None:
        disposition, media_type = 'attachment; filename="media.bin"', OPAQUE
    else:
        extension = media_type.split("/")[1].removeprefix("x-")
        disposition = f'inline; filename="media.{extension}"'
    return Response(
        data,
        media_type=media_type,
        headers={**INERT_HEADERS, "Content-Disposition": disposition},
    )


def blurred_preview(data: bytes) -> tuple[bytes, str]:
    """A tiny blurred copy: colours and rough shapes only, enough to tell items apart."""
    from PIL import Image, ImageFilter

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((PREVIEW_PIXELS, PREVIEW_PIXELS))
            small = image.convert("RGB").filter(ImageFilter.GaussianBlur(1))
    except Exception:
        small = Image.new("RGB", (PREVIEW_PIXELS, PREVIEW_PIXELS), (128, 128, 128))
    out = io.BytesIO()
    small.save(out, format="PNG")
    return out.getvalue(), "image/png"
