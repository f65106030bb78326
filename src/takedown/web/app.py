"""The web pages' part of the application: the public pages, the staff workspace, their files."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from takedown.web import staff
from takedown.web.public import pages as public_pages
from takedown.web.templating import STATIC


def install(app: FastAPI) -> None:
    app.include_router(public_pages.router)
    staff.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
