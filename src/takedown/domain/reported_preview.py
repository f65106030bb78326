"""When a reporter may see a small picture of what they reported (issue 13, item 6).

A reporter recognises "the photo of my locker with the slur on it" faster than a title, so the
status page shows a thumbnail of an image reported for a non-sexual reason. Never for the
sexual categories: a picture of sexual abuse, intimate imagery shared without consent, or the
images a child is groomed or extorted with is the harm itself. Showing it again, however small,
re-exposes the person in it, and a copy of child sexual abuse material at any size is still
that material. Any report of one of these categories on the item, from anyone, withholds the
picture from every reporter of it.
"""

from __future__ import annotations

from collections.abc import Iterable

from takedown.domain.vocabulary import Category, ContentState

SEXUAL_CATEGORIES = frozenset(
    {
        Category.CHILD_SEXUAL_EXPLOITATION,
        Category.NON_CONSENSUAL_INTIMATE_IMAGERY,
        Category.SEXTORTION,
        Category.GROOMING,
    }
)

# Big enough to recognise a picture on a phone, too small to be a usable copy of it.
THUMBNAIL_MAX_PX = 160


def is_sexual(category: str) -> bool:
    return category in SEXUAL_CATEGORIES


def thumbnail_allowed(
    categories: Iterable[str], child_safety: bool, item_state: str, media_type: str | None
) -> bool:
    """May a reporter see the item's thumbnail? `categories`: every report's and case's
    category on the item; `child_safety`: whether any of its cases is a child-safety case."""
    if child_safety or any(is_sexual(c) for c in categories):
        return False
    if item_state == ContentState.REMOVED:
        return False
    return bool(media_type and media_type.startswith("image/"))
