"""A reviewer's verdict on a match, sent back to the exchange the matched hash came from.

When a case is decided for good, every bank entry that matched one of its items and came from
an exchange gets one `exchange.opinion` job, recorded in the decision's own transaction: a
violating decision confirms the match, not violating rejects it. The job speaks each API's
feedback call through python-threatexchange's clients: NCMEC's upvote or downvote on the
entry's fingerprint, StopNCII's `Blocked` or `NotBlocked`, ThreatExchange's `HELPFUL` or
`NOT_HELPFUL` reaction on the descriptor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from threatexchange.exchanges.clients.ncmec import hash_api
from threatexchange.exchanges.clients.stopncii import api as stopncii
from threatexchange.exchanges.impl.fb_threatexchange_api import FBThreatExchangeSignalExchangeAPI

from takedown.config import Settings
from takedown.domain.vocabulary import EventType
from takedown.exchanges import clients
from takedown.jobs import EXCHANGES, Job, JobContext
from takedown.store.banks import HmaExchange, HmaExchangeApi
from takedown.store.exchanges import ExchangeEntry
from takedown.store.models import CaseEvent

EXCHANGE_OPINION = "exchange.opinion"


def matched_entries(session: Session, case_id: str) -> list[ExchangeEntry]:
    """The live exchange records behind the bank entries that matched this case's items."""
    hash_ids: set[int] = set()
    for data in session.scalars(
        select(CaseEvent.data).where(
            CaseEvent.case_id == case_id, CaseEvent.type == EventType.MATCH.value
        )
    ):
        if isinstance(data, dict) and isinstance(data.get("bank_hash_id"), int):
            hash_ids.add(data["bank_hash_id"])
    if not hash_ids:
        return []
    return list(
        session.scalars(
            select(ExchangeEntry)
            .where(ExchangeEntry.hash_id.in_(sorted(hash_ids)), ExchangeEntry.deleted_at.is_(None))
            .order_by(ExchangeEntry.id)
        )
    )


def record_verdict(
    session: Session, case_id: str, decision_id: str, confirmed: bool, now: datetime
) -> int:
    """Queue the opinion on each exchange record behind the case's matches; returns how many."""
    queued = 0
    for entry in matched_entries(session, case_id):
        EXCHANGE_OPINION_JOB.enqueue(
            session,
            {
                "exchange": entry.exchange,
                "entry_id": entry.id,
                "confirmed": confirmed,
                "decision_id": decision_id,
            },
            now,
            dedupe_key=f"{EXCHANGE_OPINION}:{decision_id}:{entry.id}",
        )
        queued += 1
    return queued


def send_opinion(
    api_name: str,
    api: Any,
    entry: ExchangeEntry,
    confirmed: bool,
    settings: Settings,
    credentials: dict[str, Any] | None,
) -> None:
    if api_name == "ncmec":
        client = api.get_client(api.collab.environment)
        client.submit_feedback(
            int(entry.member or 0),
            entry.upstream_id,
            hash_api.FingerprintType(entry.upstream_signal),
            hash_api.FeedbackType.upvote if confirmed else hash_api.FeedbackType.downvote,
        )
    elif api_name == "stop_ncii":
        keys = credentials or {}
        feedback_key = settings.stopncii_feedback_key or str(keys.get("fetch_function_key", ""))
        client = stopncii.StopNCIIAPI(
            api.api._subscription_key,
            api.api._function_keys[stopncii.StopNCIIEndpoint.FetchHashes],
            {stopncii.StopNCIIEndpoint.SubmitFeedback: feedback_key},
            base_url_override=api.api._base_url,
        )
        client.submit_feedback(
            stopncii.StopNCIISignalType(entry.upstream_signal),
            entry.upstream_id,
            stopncii.StopNCIICSPFeedbackValue.Blocked
            if confirmed
            else stopncii.StopNCIICSPFeedbackValue.NotBlocked,
        )
    elif isinstance(api, FBThreatExchangeSignalExchangeAPI):
        react = (
            api.client.react_upvote_threat_descriptor
            if confirmed
            else api.client.react_downvote_threat_descriptor
        )
        # The client returns the Graph API's answer rather than raising on an error status.
        answer = react(int(entry.upstream_id))[2]
        if not isinstance(answer, dict) or "error" in answer or not answer.get("success"):
            raise RuntimeError(f"ThreatExchange refused the reaction: {answer!r}")
    else:
        raise NotImplementedError(f"exchange API {api_name!r} takes no opinions")


def _run_opinion(ctx: JobContext, session: Session, payload: dict[str, Any], now: datetime) -> None:
    """A failed call raises, and the outbox retries it."""
    entry = session.get(ExchangeEntry, int(payload["entry_id"]))
    exchange = session.get(HmaExchange, str(payload["exchange"]))
    if entry is None or exchange is None:
        return  # the exchange was deleted: nobody to tell
    creds_row = session.get(HmaExchangeApi, exchange.api)
    credentials = creds_row.credentials if creds_row is not None else None
    api = clients.build(exchange.api, dict(exchange.config), credentials, ctx.settings)
    send_opinion(exchange.api, api, entry, bool(payload["confirmed"]), ctx.settings, credentials)


EXCHANGE_OPINION_JOB = Job(EXCHANGE_OPINION, _run_opinion, queue=EXCHANGES)
