"""Which reports may show a thumbnail: never the sexual categories, never a removed item."""

from __future__ import annotations

import pytest

from takedown.domain.reported_preview import SEXUAL_CATEGORIES, thumbnail_allowed
from takedown.domain.vocabulary import Category


@pytest.mark.parametrize("category", sorted(SEXUAL_CATEGORIES))
def test_any_sexual_category_on_the_item_withholds_it(category: str) -> None:
    assert not thumbnail_allowed(["harassment", category], False, "visible", "image/png")


def test_the_sexual_set_is_the_four_sexual_categories() -> None:
    assert {
        Category.CHILD_SEXUAL_EXPLOITATION,
        Category.NON_CONSENSUAL_INTIMATE_IMAGERY,
        Category.SEXTORTION,
        Category.GROOMING,
    } == SEXUAL_CATEGORIES


@pytest.mark.parametrize(
    ("child_safety", "state", "media_type", "shown"),
    [
        (False, "visible", "image/jpeg", True),
        (False, "restricted", "image/png", True),
        (True, "visible", "image/png", False),
        (False, "removed", "image/png", False),
        (False, "visible", "video/mp4", False),
        (False, "visible", None, False),
    ],
)
def test_only_images_still_up_outside_child_safety_cases(
    child_safety: bool, state: str, media_type: str | None, shown: bool
) -> None:
    assert thumbnail_allowed(["harassment", "spam"], child_safety, state, media_type) is shown
