"""HMA's hasher: media (an upload or a url) to `{signal type: value}`.

Urls are fetched only over http(s) from public addresses, or from hosts and networks listed in
TAKEDOWN_FETCH_ALLOW (API.md): an HMA client must not be able to make Takedown read its own
private network. takedown.fetching checks every redirect and connects to the checked address.
"""

from __future__ import annotations

import httpx

from takedown.fetching import Fetcher, FetchPolicy, FetchRefused
from takedown.hma.errors import HmaError
from takedown.hma.signals import CONTENT_TYPES, HmaSignal, for_media, frames_to_hma
from takedown.signals.base import MediaKind
from takedown.signals.hashing import hash_media
from takedown.signals.media import MediaLimits, MediaRejected

UNSAFE = "Invalid or unsafe URL provided"


def content_kind(name: str) -> MediaKind:
    kind = CONTENT_TYPES.get(name)
    if kind is None:
        raise HmaError(400, f"no such content_type: '{name}'", "invalid_content_type")
    return kind


def selected(kind: MediaKind, types: str | None) -> list[HmaSignal]:
    """The signal types to compute: all for the media, or those named in `types`."""
    available = {s.name: s for s in for_media(kind)}
    if types is None:
        return list(available.values())
    chosen = []
    for name in (n.strip() for n in types.split(",")):
        if not name:
            continue
        if name == "vpdq":
            name = "video_vpdq"
        if name not in available:
            raise HmaError(
                400, f"signal type '{name}' doesn't exist or is disabled", "invalid_signal_type"
            )
        chosen.append(available[name])
    if not chosen:
        raise HmaError(400, "empty signal type selection", "invalid_signal_type")
    return chosen


def hash_bytes(data: bytes, kind: MediaKind, signals: list[HmaSignal]) -> dict[str, str]:
    try:
        hashed = hash_media(data, MediaLimits())
    except MediaRejected as exc:
        raise HmaError(400, exc.message, exc.code) from None
    if hashed.kind != kind:
        raise HmaError(
            400,
            f"the file is {'a video' if hashed.kind == 'video' else 'an image'}, "
            "not the content_type it was sent as",
            "content_type_mismatch",
        )
    out: dict[str, str] = {}
    for signal in signals:
        if signal.takedown == "pdq" and hashed.pdq is not None:
            out[signal.name] = hashed.pdq
        elif signal.takedown == "md5":
            out[signal.name] = hashed.md5
        elif signal.takedown == "vpdq" and hashed.vpdq:
            out[signal.name] = frames_to_hma(hashed.vpdq)
    return out


def fetch(url: str, allow: str, max_bytes: int) -> tuple[bytes, str]:
    """The url's bytes and its Content-Type; HMA's 400 or 413 when it cannot be had.

    Goes through takedown.fetching like every outbound fetch: the checked address is the one
    connected to, and every redirect is checked again."""
    with httpx.Client(timeout=30.0) as client:
        fetcher = Fetcher(client, FetchPolicy.parse(allow))
        try:
            with fetcher.stream(url) as response:
                if response.status_code >= 400:
                    raise HmaError(
                        400,
                        f"Failed to fetch URL: {response.status_code} for url: {url}",
                        "fetch_failed",
                    )
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise HmaError(413, "Content too large", "too_large")
                data = bytearray()
                for chunk in response.iter_bytes():
                    data.extend(chunk)
                    if len(data) > max_bytes:
                        raise HmaError(413, "Content too large", "too_large")
                return bytes(data), response.headers.get("content-type", "")
        except FetchRefused:
            raise HmaError(400, UNSAFE, "unsafe_url") from None
        except httpx.HTTPError as exc:
            raise HmaError(400, f"Failed to fetch URL: {exc}", "fetch_failed") from None


def kind_of_url(content_type_header: str, hint: str | None) -> MediaKind:
    if hint:
        return content_kind(hint)
    header = content_type_header.lower()
    if header.startswith("image"):
        return "image"
    if header.startswith("video"):
        return "video"
    raise HmaError(
        400,
        f"unsupported url ContentType: '{content_type_header}', if you know the expected type, "
        "provide it with the content_type query param",
        "invalid_content_type",
    )


def hash_url(url: str, content_type: str | None, types: str | None, allow: str) -> dict[str, str]:
    data, header = fetch(url, allow, MediaLimits().max_bytes)
    kind = kind_of_url(header, content_type)
    return hash_bytes(data, kind, selected(kind, types))
