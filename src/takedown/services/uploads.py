"""Receiving an upload: hash it, register and match it, hold what must wait, keep the evidence.

The one orchestration behind `POST /v1/content` (and any other door that takes a platform's
upload): the adapter parses the request and presents the answer; everything between is here.

- Images are hashed in the request (PDQ with quality, its dihedral variants, the digests). A
  video gets its digests now and its vPDQ from the `video.hash` job, and is held (hidden) until
  then, so the upload is answered fast.
- The type kept is the one the bytes decode as; the uploader's declared type is never kept.
- An upload hidden in this same request becomes its own evidence copy now: the platform may
  never serve it at a url (services.evidence.capture_upload).
- A failed registration leaves nothing behind: no held video, no thumbnail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from takedown.clock import Clock
from takedown.domain.vocabulary import MEDIA_KINDS, ItemKind
from takedown.services import thumbnails
from takedown.services.content import SignalValue, register_content
from takedown.services.errors import Invalid, ServiceError
from takedown.services.evidence import capture_upload
from takedown.services.installation import Installation
from takedown.services.matching import hold_video
from takedown.signals import indexed_signals
from takedown.signals.hashing import hash_media
from takedown.signals.media import MediaLimits, MediaRejected, check_size, sniff_kind
from takedown.signals.media_type import detected_type
from takedown.store.database import Transaction

MAX_UPLOAD_BYTES = 100 * 1024 * 1024


class MediaRefused(ServiceError):
    """Media that cannot be hashed, with the status `signals.media.MediaRejected` chose."""

    def __init__(self, rejected: MediaRejected) -> None:
        super().__init__(rejected.message, rejected.code)
        self.status = rejected.status


@dataclass(frozen=True)
class Hashed:
    """What an uploaded file is, worked out before the database is touched."""

    signals: list[SignalValue]
    media_type: str | None
    video: bool
    thumbnail: bytes | None  # the reporter's safe thumbnail of an image (services.thumbnails)


def hash_upload(data: bytes) -> Hashed:
    """The signals, detected type and thumbnail of an uploaded file; `MediaRefused` if it
    cannot be hashed."""
    limits = MediaLimits(max_bytes=MAX_UPLOAD_BYTES)
    try:
        check_size(len(data), limits)
        if sniff_kind(data) == "video":
            # Every signal that hashes a video file itself now (the digests); vPDQ comes later.
            now_values = [
                SignalValue(s.name, value)
                for s in indexed_signals()
                if "video" in s.media_kinds and (value := s.hash_file(data, "video", limits))
            ]
            return Hashed(now_values, detected_type(data), video=True, thumbnail=None)
        signals = hash_media(data, limits)
    except MediaRejected as exc:
        raise MediaRefused(exc) from None
    media_type = detected_type(data)
    small = thumbnails.shrink(data) if media_type and media_type.startswith("image/") else None
    rows = [SignalValue(*row) for row in signals.rows()]
    return Hashed(rows, media_type, video=False, thumbnail=small)


@dataclass(frozen=True)
class Upload:
    """A platform's upload as its adapter parsed it; `signals` are the ones the platform sent."""

    content_id: str
    account_id: str
    url: str | None = None
    signals: list[SignalValue] = field(default_factory=list)
    file: bytes | None = None
    kind: ItemKind | None = None
    text: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The answer to an upload, read inside its transaction."""

    content_id: str
    verdict: str
    state: str
    signals: list[SignalValue]
    matches: list[dict[str, object]]


def receive_upload(
    transaction: Transaction, clock: Clock, inst: Installation, upload: Upload
) -> Verdict:
    """Hash, register, match, hold and preserve one upload; committed before it returns.

    Blocking (hashing and the database): an asynchronous adapter runs it on a worker thread,
    since on the event loop one registration held up every other request (issue 15).
    """
    signals = list(upload.signals)
    hashed = hash_upload(upload.file) if upload.file is not None else None
    if hashed is not None:
        given = {s.signal for s in signals}
        signals.extend(s for s in hashed.signals if s.signal not in given)
    kind = upload.kind
    if not signals and (kind in MEDIA_KINDS or (kind is None and upload.text is None)):
        # An image or video is only useful hashed; an item without media says what it is.
        raise Invalid(
            "send the media as `file`, or its `signals`; for an item without media give "
            "`kind` (text, link, profile, other) or its `text`",
            "missing_media",
        )
    if kind is None and not signals:
        kind = ItemKind.TEXT
    video = hashed is not None and hashed.video
    held: Path | None = None
    kept: str | None = None
    try:
        with transaction() as session:
            result = register_content(
                session,
                inst,
                clock.now(),
                upload.content_id,
                upload.account_id,
                upload.url,
                signals,
                hashed.media_type if hashed else None,
                hold_for_hashing=video,
                kind=kind.value if kind is not None else None,
                text=upload.text,
                title=upload.title,
            )
            item = result.item
            if upload.file is not None and hashed is not None:
                capture_upload(session, inst, item, upload.file, hashed.media_type, clock.now())
                small = hashed.thumbnail
                if small is not None and result.created and thumbnails.keep(session, item, small):
                    kept = item.id
            if video and result.created and upload.file is not None:
                # Kept only until the video.hash job has hashed it (services.matching).
                held = inst.settings.data_dir / "held-videos" / item.id
                held.parent.mkdir(parents=True, exist_ok=True)
                held.write_bytes(upload.file)
                hold_video(session, item, held, clock.now())
            verdict = Verdict(
                content_id=item.content_id,
                verdict=result.verdict,
                state=item.state,
                signals=[SignalValue(s.signal, s.value, s.quality) for s in item.signals],
                matches=result.matches,
            )
    except BaseException:
        if held is not None:  # bad input leaves nothing behind
            held.unlink(missing_ok=True)
        if kept is not None:
            thumbnails.discard(inst.settings, kept)
        raise
    return verdict
