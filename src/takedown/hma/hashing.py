"""HMA's hasher: media (an upload or a url) to `{signal type: value}`.

Urls are fetched only over http(s) from public addresses, or from hosts and networks listed in
TAKEDOWN_FETCH_ALLOW (API.md): an HMA client must not be able to make Takedown read its own
private network. Redirects are followed by hand so each hop is checked the same way.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import httpx

from takedown.hma.errors import HmaError
from takedown.hma.signals import CONTENT_TYPES, HmaSignal, for_media, frames_to_hma
from takedown.signals.base import MediaKind
from takedown.signals.hashing import hash_media
from takedown.signals.media import MediaLimits, MediaRejected

MAX_REDIRECTS = 5
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


def _allowed(host: str, allow: tuple[str, ...]) -> bool:
    if host in allow:
        return True
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        listed = any(
            ("/" in entry and address in ipaddress.ip_network(entry, strict=False))
            or entry == str(address)
            for entry in allow
        )
        if not (address.is_global or listed):
            return False
    return bool(infos)


def fetch(url: str, allow: tuple[str, ...], max_bytes: int) -> tuple[bytes, str]:
    """The url's bytes and its Content-Type; HMA's 400 or 413 when it cannot be had."""
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HmaError(400, UNSAFE, "unsafe_url")
        if not _allowed(parts.hostname, allow):
            raise HmaError(400, UNSAFE, "unsafe_url")
        try:
            with httpx.stream("GET", url, timeout=30.0, follow_redirects=False) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
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
        except httpx.HTTPError as exc:
            raise HmaError(400, f"Failed to fetch URL: {exc}", "fetch_failed") from None
    raise HmaError(400, "Failed to fetch URL: too many redirects", "fetch_failed")


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


def hash_url(
    url: str, content_type: str | None, types: str | None, allow: tuple[str, ...]
) -> dict[str, str]:
    data, header = fetch(url, allow, MediaLimits().max_bytes)
    kind = kind_of_url(header, content_type)
    return hash_bytes(data, kind, selected(kind, types))
