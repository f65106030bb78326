"""The microblog: accounts, posts with generated media, views, and a Report link on each post.

It does what Takedown asks a platform to do (API.md), and nothing more privileged:
- every upload is registered with `POST /v1/content` before it is shown; `block` means it is
  never published, `hold` keeps it private until a decision arrives;
- signed webhooks hide (`content.restricted`), remove and restore posts and suspend accounts;
  a bad signature is refused with 401 and an event id seen before is acknowledged and ignored;
- the Report link opens Takedown's own report page for that post (`/report?content_id=…`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from takedown.demo import media as synthetic
from takedown.demo.platform.pages import pages
from takedown.demo.platform.store import (
    Account,
    Post,
    ReceivedEvent,
    StateChange,
    ViewBatch,
    open_database,
)
from takedown.demo.platform.takedown_client import TakedownClient, TakedownUnavailable
from takedown.outbox.signing import HEADER, verify

# Where a post may go from each state when a webhook arrives; anything else is ignored, so a late
# `content.restricted` never brings back a removed post.
_WEBHOOK_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "content.restricted": (frozenset({"pending", "visible", "held"}), "restricted"),
    "content.removed": (frozenset({"pending", "visible", "held", "restricted"}), "removed"),
    "content.restored": (frozenset({"held", "restricted"}), "visible"),
}


@dataclass
class PlatformConfig:
    database_url: str
    public_url: str
    takedown_public_url: str
    webhook_secret: str
    name: str = "Microblog"
    signature_tolerance_seconds: int = 300


@dataclass
class Platform:
    """The microblog's state and rules, shared by its pages, its API and its webhook endpoint."""

    config: PlatformConfig
    takedown: TakedownClient
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    outage_until: datetime | None = None
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.engine, self.sessions = open_database(self.config.database_url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    # -- links -------------------------------------------------------------------------------

    def post_url(self, post_id: str) -> str:
        return f"{self.config.public_url.rstrip('/')}/posts/{post_id}"

    def media_url(self, post_id: str) -> str:
        return f"{self.config.public_url.rstrip('/')}/media/{post_id}"

    def report_url(self, post_id: str) -> str:
        base = self.config.takedown_public_url.rstrip("/")
        return f"{base}/report?content_id={quote(post_id)}"

    # -- posting -----------------------------------------------------------------------------

    def _log(self, session: Session, subject: str, subject_id: str, state: str, cause: str) -> None:
        session.add(
            StateChange(
                at=self.now(), subject=subject, subject_id=subject_id, state=state, cause=cause
            )
        )

    def create_post(
        self,
        account_id: str,
        caption: str,
        item: synthetic.Media,
        post_id: str | None = None,
    ) -> Post:
        """Store the upload unpublished, ask Takedown, then publish only on `allow`."""
        post_id = post_id or "p-" + secrets.token_hex(5)
        with self.transaction() as session:
            account = session.get(Account, account_id)
            if account is None:
                account = Account(id=account_id, state="active", created_at=self.now())
                session.add(account)
            if account.state == "suspended":
                raise PostRefused("this account is suspended and cannot post")
            if session.get(Post, post_id) is not None:
                raise PostRefused(f"a post with id {post_id!r} exists")
            session.add(
                Post(
                    id=post_id,
                    account_id=account_id,
                    caption=caption,
                    media=item.data,
                    media_type=item.media_type,
                    state="pending",
                    views=0,
                    created_at=self.now(),
                )
            )
        # Committed before asking, so that a webhook about it that arrives first finds it.
        # The media's own address, so that Takedown can preserve the file itself as evidence
        # when the post is hidden later (a post page is HTML, not the media).
        answer = self.takedown.register_content(
            post_id,
            account_id,
            self.media_url(post_id),
            item.data,
            item.media_type,
            item.filename,
        )
        verdict = str(answer.get("verdict"))
        if verdict == "block":
            state = "blocked"
        elif verdict == "hold":
            state = "held"
        else:
            state = {"restricted": "restricted", "removed": "removed"}.get(
                str(answer.get("state")), "visible"
            )
        with self.transaction() as session:
            post = session.get(Post, post_id)
            assert post is not None
            post.verdict = verdict
            if post.state == "pending":  # a webhook may already have moved it; it wins
                post.state = state
                self._log(session, "post", post_id, state, f"verdict {verdict}")
            return post

    def add_views(self, post_id: str, asked: int) -> int:
        """People asking to see a post: only a visible post by an active account is shown."""
        with self.transaction() as session:
            post = session.get(Post, post_id)
            if post is None:
                raise KeyError(post_id)
            shown = self._shown(session, post)
            served = asked if shown else 0
            post.views += served
            session.add(ViewBatch(post_id=post_id, at=self.now(), asked=asked, served=served))
            return served

    @staticmethod
    def _shown(session: Session, post: Post) -> bool:
        account = session.get(Account, post.account_id)
        return post.state == "visible" and account is not None and account.state == "active"

    # -- webhooks ----------------------------------------------------------------------------

    def receive(self, body: bytes, signature: str) -> tuple[int, dict[str, Any]]:
        """Check, de-duplicate and apply one webhook delivery; returns the HTTP answer."""
        now = self.now()
        if self.outage_until is not None and now < self.outage_until:
            return 503, {"error": {"code": "unavailable", "message": "simulated outage"}}
        if not verify(
            self.config.webhook_secret,
            signature,
            body,
            int(now.timestamp()),
            self.config.signature_tolerance_seconds,
        ):
            return 401, {"error": {"code": "bad_signature", "message": "signature check failed"}}
        try:
            event = json.loads(body)
            event_id, kind, data = str(event["id"]), str(event["type"]), dict(event["data"])
        except (ValueError, KeyError, TypeError):
            return 400, {"error": {"code": "malformed_event", "message": "not a webhook event"}}
        with self.transaction() as session:
            if session.get(ReceivedEvent, event_id) is not None:
                return 200, {"duplicate": True}
            session.add(ReceivedEvent(id=event_id, type=kind, received_at=now))
            self._apply(session, kind, data, event_id)
        return 200, {"applied": True}

    def _apply(self, session: Session, kind: str, data: dict[str, Any], event_id: str) -> None:
        cause = f"webhook {kind} ({event_id})"
        if kind in _WEBHOOK_MOVES:
            allowed_from, to = _WEBHOOK_MOVES[kind]
            post = session.get(Post, str(data.get("content_id")))
            if post is not None and post.state in allowed_from:
                post.state = to
                self._log(session, "post", post.id, to, cause)
        elif kind in ("account.suspended", "account.restored"):
            account = session.get(Account, str(data.get("account_id")))
            to = "suspended" if kind == "account.suspended" else "active"
            if account is not None and account.state != to:
                account.state = to
                self._log(session, "account", account.id, to, cause)
        # case.escalated and types added later need nothing from the platform: acknowledged.

    # -- reading -----------------------------------------------------------------------------

    def post_json(self, session: Session, post: Post) -> dict[str, Any]:
        return {
            "id": post.id,
            "account": post.account_id,
            "caption": post.caption,
            "state": post.state,
            "verdict": post.verdict,
            "views": post.views,
            "shown": self._shown(session, post),
            "url": self.post_url(post.id),
            "report_url": self.report_url(post.id),
            "created_at": post.created_at.isoformat(),
        }


class PostRefused(Exception):
    """The platform's own refusal (suspended account, duplicate id)."""


class NewPost(BaseModel):
    account: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    caption: str = Field("", max_length=280)
    kind: str = Field("image", pattern="^(image|video|known)$")
    seed: int | None = None
    label: str = Field("", max_length=48)
    id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class Views(BaseModel):
    count: int = Field(ge=1, le=10_000_000)


class Outage(BaseModel):
    minutes: float = Field(ge=0, le=7 * 24 * 60)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def generated_media(kind: str, seed: int | None, label: str = "") -> synthetic.Media:
    if kind == "known":
        return synthetic.known_image(seed or 0)
    return synthetic.generate(kind, seed if seed is not None else secrets.randbelow(10**9), label)


def create_platform_app(platform: Platform) -> FastAPI:
    app = FastAPI(title=platform.config.name, docs_url=None, redoc_url=None)
    app.state.platform = platform
    html = pages

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        template = html.get_template(name)
        text = template.render(name=platform.config.name, report_url=platform.report_url, **context)
        return HTMLResponse(text, status_code=status)

    def visible_posts(session: Session, account_id: str | None = None) -> list[Post]:
        query = (
            select(Post)
            .join(Account, Account.id == Post.account_id)
            .where(Post.state == "visible", Account.state == "active")
            .order_by(Post.created_at.desc())
            .limit(50)
        )
        if account_id:
            query = query.where(Post.account_id == account_id)
        return list(session.scalars(query))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def feed(message: str = "") -> HTMLResponse:
        with platform.transaction() as session:
            return render(
                "feed.html", posts=visible_posts(session), message=message, default_account="you"
            )

    @app.post("/posts")
    async def post_form(
        account: str = Form(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$"),
        caption: str = Form("", max_length=280),
        kind: str = Form("image", pattern="^(image|video|known)$"),
        file: UploadFile | None = File(None),
    ) -> Response:
        data = await file.read() if file is not None else b""
        if file is not None and data:
            item = synthetic.Media(
                data, file.content_type or "application/octet-stream", file.filename or "upload"
            )
        else:
            item = generated_media(kind, None, caption[:48])
        try:
            # Off the event loop: asking Takedown blocks, and `takedown demo` serves Takedown
            # from this same loop.
            post = await run_in_threadpool(platform.create_post, account, caption, item)
        except (PostRefused, TakedownUnavailable) as exc:
            return RedirectResponse(f"/?message={quote(str(exc)[:200])}", status_code=303)
        if post.state != "visible":
            note = {
                "blocked": "Your upload was blocked: it matches known abuse material.",
                "held": "Your upload is held until a review finishes.",
            }.get(post.state, f"Your upload is {post.state}.")
            return RedirectResponse(f"/?message={quote(note)}", status_code=303)
        return RedirectResponse(f"/posts/{post.id}", status_code=303)

    @app.get("/posts/{post_id}", response_class=HTMLResponse)
    def show_post(post_id: str) -> HTMLResponse:
        with platform.transaction() as session:
            post = session.get(Post, post_id)
            if post is None or post.state in ("pending", "held", "blocked"):
                return render("post_page.html", 404, post=None, message="No such post.")
            if post.state == "restricted":
                return render(
                    "post_page.html",
                    451,
                    post=None,
                    message="This post is hidden while it is reviewed.",
                )
            if post.state == "removed":
                return render("post_page.html", 410, post=None, message="This post was removed.")
            if not platform._shown(session, post):
                return render("post_page.html", 404, post=None, message="Account suspended.")
        platform.add_views(post_id, 1)
        with platform.transaction() as session:
            return render("post_page.html", post=session.get(Post, post_id))

    @app.get("/media/{post_id}")
    def show_media(post_id: str) -> Response:
        with platform.transaction() as session:
            post = session.get(Post, post_id)
            if post is None or not platform._shown(session, post):
                return _error(404, "not_found", "no such media")
            return Response(post.media, media_type=post.media_type)

    @app.get("/u/{account_id}", response_class=HTMLResponse)
    def show_account(account_id: str) -> HTMLResponse:
        with platform.transaction() as session:
            account = session.get(Account, account_id)
            if account is None:
                return render("post_page.html", 404, post=None, message="No such account.")
            return render("account.html", account=account, posts=visible_posts(session, account_id))

    # -- the JSON API (the demo's seeding and the replay use it) -------------------------------

    @app.post("/api/posts", status_code=201, response_model=None)
    def api_new_post(body: NewPost) -> dict[str, Any] | JSONResponse:
        item = generated_media(body.kind, body.seed, body.label)
        try:
            post = platform.create_post(body.account, body.caption, item, body.id)
        except PostRefused as exc:
            return _error(409, "post_refused", str(exc))
        except TakedownUnavailable as exc:
            return _error(503, "takedown_unavailable", str(exc))
        with platform.transaction() as session:
            return platform.post_json(session, session.merge(post))

    @app.get("/api/posts")
    def api_posts() -> dict[str, Any]:
        with platform.transaction() as session:
            posts = session.scalars(select(Post).order_by(Post.created_at, Post.id))
            return {"posts": [platform.post_json(session, p) for p in posts]}

    @app.get("/api/posts/{post_id}", response_model=None)
    def api_post(post_id: str) -> dict[str, Any] | JSONResponse:
        with platform.transaction() as session:
            post = session.get(Post, post_id)
            if post is None:
                return _error(404, "post_not_found", f"no post {post_id!r}")
            return platform.post_json(session, post)

    @app.post("/api/posts/{post_id}/views", response_model=None)
    def api_views(post_id: str, body: Views) -> dict[str, Any] | JSONResponse:
        try:
            served = platform.add_views(post_id, body.count)
        except KeyError:
            return _error(404, "post_not_found", f"no post {post_id!r}")
        return {"asked": body.count, "served": served}

    @app.get("/api/accounts/{account_id}", response_model=None)
    def api_account(account_id: str) -> dict[str, Any] | JSONResponse:
        with platform.transaction() as session:
            account = session.get(Account, account_id)
            if account is None:
                return _error(404, "account_not_found", f"no account {account_id!r}")
            return {"id": account.id, "state": account.state}

    @app.get("/api/log")
    def api_log() -> dict[str, Any]:
        """The platform's state changes and view batches, for the replay's timeline."""
        with platform.transaction() as session:
            changes = session.scalars(select(StateChange).order_by(StateChange.id))
            views = session.scalars(select(ViewBatch).order_by(ViewBatch.id))
            return {
                "changes": [
                    {
                        "at": c.at.isoformat(),
                        "subject": c.subject,
                        "id": c.subject_id,
                        "state": c.state,
                        "cause": c.cause,
                    }
                    for c in changes
                ],
                "views": [
                    {
                        "at": v.at.isoformat(),
                        "post": v.post_id,
                        "asked": v.asked,
                        "served": v.served,
                    }
                    for v in views
                ],
            }

    @app.post("/api/outage")
    def api_outage(body: Outage) -> dict[str, Any]:
        """Make the webhook endpoint answer 503 for a while, to watch Takedown retry."""
        until = platform.now() + timedelta(minutes=body.minutes)
        platform.outage_until = until if body.minutes > 0 else None
        return {"webhooks_down_until": until.isoformat() if body.minutes > 0 else None}

    @app.post("/hooks/takedown")
    async def webhook(request: Request) -> JSONResponse:
        body = await request.body()
        status, answer = platform.receive(body, request.headers.get(HEADER, ""))
        return JSONResponse(answer, status_code=status)

    return app
