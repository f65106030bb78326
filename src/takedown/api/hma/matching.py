"""`/hma/m`: HMA's matcher, over this process's match index, current at every call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from takedown.api.deps import runtime
from takedown.api.hma.hashing import hash_form
from takedown.hma import hashing
from takedown.hma import matching as hma_matching
from takedown.hma.errors import HmaError
from takedown.runtime import Runtime

router = APIRouter(tags=["Matching"])


def _banks(banks: str | None) -> set[str] | None:
    return set(banks.split(",")) if banks else None


def _lookup_all(
    rt: Runtime, hashes: dict[str, str], seed: str | None, bypass: bool, banks: set[str] | None
) -> dict[str, Any]:
    draw = hma_matching.coinflip(seed, bypass)
    out: dict[str, Any] = {}
    with rt.sessions() as session:
        rt.matcher.refresh(session)
        for name, value in hashes.items():
            signal = hma_matching.enabled_signal(name)
            checked = hma_matching.checked_value(signal, value)
            out[name] = hma_matching.lookup(
                session, rt.matcher, signal, checked, rt.clock.now(), draw, banks
            )
    return out


@router.get("/lookup")
def lookup_get(
    url: str | None = None,
    content_type: str | None = None,
    types: str | None = None,
    signal: str | None = None,
    signal_type: str | None = None,
    banks: str | None = None,
    seed: str | None = None,
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """By hash: `{bank: [{"bank_content_id", "distance"}]}`. By url: the same per signal
    type, `{signal type: {bank: [...]}}`, or one signal type's when `signal_type` is given."""
    if url:
        hashes = hashing.hash_url(url, content_type, types, rt.settings.fetch_allow)
        found = _lookup_all(rt, hashes, seed, False, _banks(banks))
        if signal_type is not None:
            return found.get(signal_type, {})
        return found
    if not signal or not signal_type:
        raise HmaError(
            400, "Either url or both signal and signal_type are required", "invalid_request"
        )
    return _lookup_all(rt, {signal_type: signal}, seed, False, _banks(banks))[signal_type]


@router.post("/lookup")
async def lookup_post(
    request: Request,
    banks: str | None = None,
    seed: str | None = None,
    bypass_coinflip: str = "false",
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """An uploaded file (multipart, field `photo` or `video`), looked up per signal type."""
    hashes = await hash_form(request)
    return _lookup_all(rt, hashes, seed, bypass_coinflip == "true", _banks(banks))


@router.get("/raw_lookup")
def raw_lookup(
    signal: str,
    signal_type: str,
    banks: str | None = None,
    include_distance: bool = False,
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Every entry the hash matches, enabled or not: content ids, or with their distances."""
    st = hma_matching.enabled_signal(signal_type)
    value = hma_matching.checked_value(st, signal)
    with rt.sessions() as session:
        rt.matcher.refresh(session)
        found = hma_matching.raw_lookup(session, rt.matcher, st, value, _banks(banks))
    if include_distance:
        return {"matches": [{"bank_content_id": c, "distance": d} for c, d in found]}
    return {"matches": [c for c, _ in found]}


@router.get("/index/status")
def index_status(signal_type: str | None = None, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    """Per signal type: present, built to (the newest entry's time) and size. The index
    follows the database at every lookup, so it is built to the newest entry."""
    names = hma_matching.selected_signals(signal_type)
    with rt.sessions() as session:
        rt.matcher.refresh(session)
        sizes = hma_matching.index_sizes(session)
    return {n: {"present": True, "built_to": sizes[n][1], "size": sizes[n][0]} for n in names}


@router.post("/compare")
async def compare(request: Request, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise HmaError(400, "Request input was not a dict", "malformed_json") from None
    return hma_matching.compare(rt.matcher, body)
