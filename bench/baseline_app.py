"""The bare baseline for the HTTP bench: FastAPI + SQLAlchemy, one insert and a commit a request.

Run by `python -m bench.baseline_serve HOST PORT N` with BASELINE_DATABASE_URL set. It does
what any intake must do at the least (parse the body, write one row, commit before
answering) and nothing Takedown does besides (triage, audit, outbox, auth, rate limits).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid

from fastapi import FastAPI, Form
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, Text, create_engine, insert
from sqlalchemy.exc import OperationalError

metadata = MetaData()
reports = Table(
    "baseline_reports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("content_id", String(200), nullable=False),
    Column("body", Text, nullable=False),
)
content = Table(
    "baseline_content",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("content_id", String(200), nullable=False),
    Column("signals", Text, nullable=False),
)

engine = create_engine(os.environ.get("BASELINE_DATABASE_URL", "sqlite:///baseline.db"))
# Another worker process may have created the tables first.
with contextlib.suppress(OperationalError):
    metadata.create_all(engine)

app = FastAPI()


class ReportIn(BaseModel):
    content_id: str
    category: str
    reporter_role: str | None = None
    depicts_minor: bool | None = None


@app.post("/v1/reports", status_code=201)
def report(body: ReportIn) -> dict[str, str]:
    row_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            insert(reports).values(
                id=row_id, content_id=body.content_id, body=body.model_dump_json()
            )
        )
    return {"id": row_id}


@app.post("/v1/content", status_code=201)
def register(
    content_id: str = Form(...), account_id: str = Form(""), signals: str = Form(...)
) -> dict[str, str]:
    row_id = str(uuid.uuid4())
    json.loads(signals)
    with engine.begin() as conn:
        conn.execute(insert(content).values(id=row_id, content_id=content_id, signals=signals))
    return {"id": row_id}
