"""Each exchange API's records as the hashes Takedown banks, with their provenance.

A fetch delta maps the API's record key to a record, or to None when upstream deleted it. Here
a record becomes the list of `UpstreamHash` it carries (an empty list is a deletion too): the
Takedown signal and canonical value, the upstream id and member, the upstream fingerprint name
that feedback names, and the record's tags. Fingerprints Takedown has no signal for are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threatexchange.exchanges.clients.ncmec import hash_api
from threatexchange.exchanges.clients.stopncii import api as stopncii

from takedown.services.banks import canonical

# NCMEC fingerprint names (as its XML tags them) and the Takedown signal for each.
NCMEC_SIGNALS = {"pdq": "pdq", "md5": "md5"}
STOPNCII_SIGNALS = {
    stopncii.StopNCIISignalType.ImagePDQ: "pdq",
    stopncii.StopNCIISignalType.VideoMD5: "md5",
}
# python-threatexchange signal type names (local files, ThreatExchange) and Takedown's.
PYTX_SIGNALS = {"pdq": "pdq", "video_md5": "md5"}
# ThreatExchange keys its records by indicator type (python-threatexchange's INDICATOR_TYPE for
# PdqSignal and VideoMD5Signal); a plain HASH_MD5 is a video's only when tagged so.
FB_TX_SIGNALS = {"HASH_PDQ": "pdq", "HASH_VIDEO_MD5": "md5"}
FB_TX_TAGGED_SIGNALS = {"HASH_MD5": ("media_type_video", "md5")}


@dataclass(frozen=True)
class UpstreamHash:
    signal: str
    value: str
    upstream_id: str
    upstream_signal: str
    member: str | None
    tags: tuple[str, ...]


def record_key(key: object) -> str:
    if isinstance(key, tuple):
        return ":".join(str(k) for k in key)
    return str(key)


def _canonical(signal: str, value: str) -> str | None:
    try:
        return canonical(signal, value)[1]
    except ValueError:
        return None  # a malformed upstream fingerprint is skipped, not the whole page


def ncmec_hashes(entry: hash_api.NCMECEntryUpdate, only_members: set[int]) -> list[UpstreamHash]:
    if entry.deleted or (only_members and entry.member_id not in only_members):
        return []
    out = []
    for name, raw in entry.fingerprints.items():
        signal = NCMEC_SIGNALS.get(name.lower())
        value = _canonical(signal, raw) if signal else None
        if signal is None or value is None:
            continue
        out.append(
            UpstreamHash(
                signal=signal,
                value=value,
                upstream_id=entry.id,
                upstream_signal=name.upper(),
                member=str(entry.member_id),
                tags=(entry.classification,) if entry.classification else (),
            )
        )
    return out


def stopncii_hashes(record: stopncii.StopNCIIHashRecord) -> list[UpstreamHash]:
    signal = STOPNCII_SIGNALS.get(record.signalType)
    value = _canonical(signal, record.hashValue) if signal else None
    if signal is None or value is None:
        return []
    tags = sorted({tag for feedback in record.CSPFeedbacks for tag in feedback.tags})
    return [
        UpstreamHash(
            signal=signal,
            value=value,
            upstream_id=record.hashValue,
            upstream_signal=record.signalType.value,
            member=None,
            tags=tuple(tags),
        )
    ]


def _pytx_signal(type_name: str, tags: set[str]) -> str | None:
    signal = PYTX_SIGNALS.get(type_name) or FB_TX_SIGNALS.get(type_name)
    if signal is None and type_name in FB_TX_TAGGED_SIGNALS:
        tag, tagged = FB_TX_TAGGED_SIGNALS[type_name]
        signal = tagged if tag in tags else None
    return signal


def pytx_hashes(key: tuple[str, str], metadata: Any) -> list[UpstreamHash]:
    type_name, raw = key
    tags: set[str] = set()
    try:
        opinions = list(metadata.get_as_opinions())
    except (AttributeError, NotImplementedError):
        opinions = []
    for opinion in opinions:
        tags.update(opinion.tags)
    signal = _pytx_signal(type_name, tags)
    value = _canonical(signal, raw) if signal else None
    if signal is None or value is None:
        return []
    upstream_id = raw
    for opinion in opinions:
        # ThreatExchange reacts on a descriptor, not an indicator: keep the first one's id.
        descriptor = getattr(opinion, "descriptor_id", None)
        if upstream_id == raw and descriptor is not None and descriptor >= 0:
            upstream_id = str(descriptor)
    return [UpstreamHash(signal, value, upstream_id, type_name, None, tuple(sorted(tags)))]


def hashes_of(api: str, key: object, record: Any, config: Any) -> list[UpstreamHash]:
    """The hashes a record carries; [] when it was deleted upstream."""
    if record is None:
        return []
    if api == "ncmec":
        return ncmec_hashes(record, set(getattr(config, "only_esp_ids", set()) or set()))
    if api == "stop_ncii":
        return stopncii_hashes(record)
    if isinstance(key, tuple) and len(key) == 2:
        return pytx_hashes((str(key[0]), str(key[1])), record)
    return []
