"""Fixtures for oversight tests: a fake CyberTipline so csam decisions file for real."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from takedown.config import Settings
from tests.support.fake_cybertipline import FakeCyberTipline, filing_to


@pytest.fixture
def ncmec() -> Iterator[FakeCyberTipline]:
    fake = FakeCyberTipline()
    yield fake
    fake.close()


@pytest.fixture
def settings(settings: Settings, ncmec: FakeCyberTipline) -> Settings:
    return filing_to(settings, ncmec)
