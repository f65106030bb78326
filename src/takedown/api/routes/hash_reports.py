"""`POST /v1/hash-reports`: a report made of hashes only (NCMEC Take It Down style).

The media never leave the reporter's device; the hashes find the stored items, which are
restricted and joined to the report's case like the item of an ordinary report.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from takedown.api.deps import runtime, take_report
from takedown.api.routes.reports import receipt_out
from takedown.api.schemas import ReporterFields, ReportOut
from takedown.runtime import Runtime
from takedown.services.banks import parse_json_hashes
from takedown.services.reports import ReportInput

router = APIRouter(tags=["public"])


class HashIn(BaseModel):
    signal: str = Field(min_length=1, max_length=20)
    value: Any


class Hashes(BaseModel):
    hashes: list[HashIn] = Field(min_length=1, max_length=100)


# Hashes is the last base so `hashes` comes first, before the reporter's fields.
class HashReportIn(ReporterFields, Hashes):
    pass


class HashReportOut(ReportOut):
    matched_content_ids: list[str]


@router.post("/v1/hash-reports", status_code=201, response_model=HashReportOut)
def post_hash_report(
    body: HashReportIn, request: Request, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    entries = parse_json_hashes({"hashes": [h.model_dump() for h in body.hashes]})
    data = ReportInput(
        category=body.category,
        reporter_role=body.reporter_role,
        depicts_minor=body.depicts_minor,
        statement=body.statement,
        contact_email=body.contact_email,
        reporter_account_id=body.reporter_account_id,
    )
    receipt = take_report(request, data, hashes=entries)
    return {
        **receipt_out(request, rt, receipt),
        "matched_content_ids": receipt.matched_content_ids,
    }
