"""Request and response shapes of the HTTP contract, apart from the storage models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictInt,
    StrictStr,
    field_validator,
    model_serializer,
    model_validator,
)

from takedown.domain.vocabulary import MAX_ITEM_TEXT, Category, ReporterRole

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ReporterFields(BaseModel):
    """What every public report says besides its item: what is wrong, who the reporter is to
    the content, and how to reach them (a report by item and one by hashes share these)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    category: Category
    reporter_role: ReporterRole
    depicts_minor: bool = False
    statement: str | None = Field(default=None, max_length=10_000)
    contact_email: str | None = Field(default=None, max_length=320, pattern=EMAIL)
    reporter_account_id: str | None = Field(default=None, max_length=200)


class ReportedItem(BaseModel):
    """Which item a report is about: its id on the platform or its link; or, instead of an
    item, the account (API.md, "accounts as subjects")."""

    content_id: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    account_id: str | None = Field(default=None, min_length=1, max_length=200)


# ReportedItem is the last base so its fields come first, as the contract lists them (and as
# validation errors are reported).
class ReportIn(ReporterFields, ReportedItem):
    # TAKE IT DOWN Act request from the depicted person: their statement of good faith that
    # the depiction is not consensual, and their own electronic signature (typed full name or
    # initials). Required by the Act for its 48-hour removal; never required for any report.
    good_faith_statement: bool = False
    signature: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _names_an_item(self) -> ReportIn:
        if not self.content_id and not self.url and not self.account_id:
            raise ValueError(
                "give content_id, url or account_id: which item or account is this report about?"
            )
        return self


class ReportOut(BaseModel):
    report_id: str
    case_id: str
    priority: str
    status_token: str
    status_url: str
    content_state: str | None


class MatchOut(BaseModel):
    """`distance` for PDQ and digests; a vPDQ match has coverages and an overlap instead."""

    bank: str
    signal: str
    distance: int | None = None
    match_percent: float | None = None
    query_match_percent: float | None = None
    compared_match_percent: float | None = None
    overlap_s: float | None = None
    case_id: str | None = None
    # Provenance and policy (issue 11, item 4): the distance limit applied, the bank entry (its
    # HMA content id), where it came from, and whether flood quarantine withheld its action.
    threshold: int | None = None
    bank_content_id: int | None = None
    exchange: str | None = None
    upstream_id: str | None = None
    quarantined: bool = False

    @model_serializer(mode="wrap")
    def _measure_of_its_signal(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Each match carries only its own signal's measure, not the other's as nulls."""
        out: dict[str, Any] = handler(self)
        return {k: v for k, v in out.items() if v is not None or k == "case_id"}


class ContentOut(BaseModel):
    content_id: str
    verdict: Literal["allow", "block", "hold"]
    state: str
    signals: dict[str, Any]
    matches: list[MatchOut]


class ContentStatusOut(BaseModel):
    content_id: str
    account_id: str
    state: str
    case_ids: list[str]
    kind: str | None = None
    text: str | None = None
    views: int | None = None


class ContentUpdateIn(BaseModel):
    """`PATCH /v1/content/{id}`: the item's latest view count and/or its edited text."""

    model_config = ConfigDict(extra="forbid")

    # A view count past a 64-bit integer is not a count: refused, never a database error.
    views: StrictInt | None = Field(default=None, ge=0, le=2**63 - 1)
    text: StrictStr | None = Field(default=None, max_length=MAX_ITEM_TEXT)

    @model_validator(mode="after")
    def _says_something(self) -> ContentUpdateIn:
        if self.views is None and self.text is None:
            raise ValueError("give views, text or both")
        return self


class WebhookIn(BaseModel):
    url: str = Field(min_length=1, max_length=2000)
    secret: str = Field(min_length=1, max_length=500)


class WebhookOut(BaseModel):
    id: str


class UpdateOut(BaseModel):
    at: str
    message: str


class DecisionOut(BaseModel):
    outcome: str | None
    reason: str | None
    decided_at: str


class StatusOut(BaseModel):
    case_id: str
    state: str
    priority: str
    content_state: str | None
    updates: list[UpdateOut]
    decision: DecisionOut | None
    can_appeal: bool


class EventOut(BaseModel):
    id: str
    seq: int
    type: str
    actor: str
    at: str
    data: dict[str, Any]
