"""Safe thumbnails of reported images, for the reporter's status page (issue 13, item 6).

Takedown keeps no media of an item nobody has restricted: evidence (services.evidence) is
preserved only for hidden or urgent items, encrypted, for the law, and must not be opened to
decorate a status page. So for a reporter to see what they reported, something small has to
be kept from the upload itself. The least invasive option is taken:

- only for an image uploaded as a file (no fetching; a video or an item sent as signals only
  shows nothing), and only when it is visible after its upload's screening (a bank match or a
  report that was waiting for it means no thumbnail at all);
- at most `THUMBNAIL_MAX_PX` on a side, decoded and re-encoded as PNG by Pillow, so nothing of
  the original file (its bytes, metadata, location, camera) survives;
- sealed with the evidence key in `<data_dir>/thumbnails`, files 0600 in a 0700 folder: a small
  copy of an image nobody has yet reported may still be abuse material, and is not left
  readable on disk;
- deleted when the item is removed, and when a report of a sexual category
  (domain.reported_preview) reaches it, so it is never served nor kept for those;
- served only to a reporter, by their status token, never by content id.

Not on the report form: there the category is not chosen yet, so the rule above cannot be
applied (someone about to report abuse imagery would be shown it again), and the form knows
only a content id, by which nothing is served.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from takedown.config import Settings
from takedown.domain.reported_preview import THUMBNAIL_MAX_PX, is_sexual, thumbnail_allowed
from takedown.domain.vocabulary import ContentState
from takedown.services.installation import installation_of
from takedown.store.evidence_vault import EvidenceUnreadable, EvidenceVault, parse_key
from takedown.store.models import Case, CaseItem, ContentItem, Report

PIECE = "media"


def shrink(data: bytes) -> bytes | None:
    """A small PNG drawn from an image's pixels, or None when the data is not a still image
    Pillow can decode. Call it on media already checked for size (signals.media)."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                image.draft("RGB", (THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX))  # JPEG: decode small
                upright = ImageOps.exif_transpose(image)
                small = upright.convert("RGB")
                small.thumbnail((THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX))
                out = io.BytesIO()
                small.save(out, format="PNG", optimize=True)
                return out.getvalue()
    except Exception:  # whatever Pillow makes of bad data, there is no preview
        return None


def _store_for(settings: Settings) -> EvidenceVault | None:
    """The sealed thumbnail folder: the evidence vault's format under its own folder; None
    where no evidence key is configured (a bare session), so nothing is kept or shown."""
    if not settings.evidence_key:
        return None
    return EvidenceVault(settings.data_dir / "thumbnails", parse_key(settings.evidence_key))


def _store(session: Session) -> EvidenceVault | None:
    return _store_for(installation_of(session).settings)


def discard(settings: Settings, item_id: str) -> None:
    """Undo `keep` when the registration that kept it fails: bad input leaves nothing."""
    store = _store_for(settings)
    if store is not None:
        store.delete(item_id)


def _categories(session: Session, item: ContentItem) -> tuple[list[str], bool]:
    """Every category anyone reported the item under, on any of its cases, and whether any
    of them is a child-safety case."""
    cases = list(
        session.scalars(
            select(Case)
            .join(CaseItem, CaseItem.case_id == Case.id)
            .where(CaseItem.item_id == item.id)
        )
    )
    naming = [Report.content_id == item.content_id]
    if item.url:
        naming.append(Report.url == item.url)
    case_ids = [c.id for c in cases]
    if case_ids:
        naming.append(Report.case_id.in_(case_ids))
    reported = session.scalars(select(Report.category).where(or_(*naming))).all()
    return [c.category for c in cases] + list(reported), any(c.child_safety for c in cases)


def allowed(session: Session, item: ContentItem) -> bool:
    categories, child_safety = _categories(session, item)
    return thumbnail_allowed(categories, child_safety, item.state, item.media_type)


def keep(session: Session, item: ContentItem, small: bytes) -> bool:
    """Keep the thumbnail of a just-registered image if it may ever be shown; True if kept."""
    store = _store(session)
    if store is None or item.state != ContentState.VISIBLE or not allowed(session, item):
        return False
    store.put(item.id, PIECE, small)
    return True


def forget(session: Session, items: Iterable[ContentItem]) -> None:
    """Delete the items' thumbnails, if they have any."""
    store = _store(session)
    if store is None:
        return
    for item in items:
        store.delete(item.id)


def forget_if_sexual(session: Session, case: Case, category: str) -> None:
    """A report of a sexual category deletes the thumbnails of every item in its case."""
    if is_sexual(category) or case.child_safety:
        forget(session, [link.item for link in case.links])


def for_report(session: Session, report: Report) -> bytes | None:
    """The thumbnail a reporter may see of what they reported, or None: never for a sexual
    category, a removed item, or an item with no thumbnail kept."""
    if is_sexual(report.category) or not report.content_id:
        return None
    item = next(
        (link.item for link in report.case.links if link.item.content_id == report.content_id),
        None,
    )
    store = _store(session)
    if store is None or item is None or not allowed(session, item):
        return None
    try:
        return store.get(item.id, PIECE)
    except EvidenceUnreadable:
        return None


def shown(session: Session, report: Report) -> bool:
    return for_report(session, report) is not None
