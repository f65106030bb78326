"""Fixtures for oversight tests: a fake CyberTipline so csam decisions file for real."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from takedown.config import Settings
from tests.support.fake_cybertipline import FakeCyberTipline


@pytest.fixture
def ncmec() -> Iterator[FakeCyberTipline]:
    fake = FakeCyberTipline()
    yield fake
    fake.close()


@pytest.fixture
def settings(settings: Settings, ncmec: FakeCyberTipline) -> Settings:
    return replace(
        settings,
        ncmec_url=ncmec.url,
        ncmec_username=ncmec.username,
        ncmec_password=ncmec.password,
        ncmec_reporter_name="Safety Team",
        ncmec_reporter_email="safety@platform.example",
        strike_threshold=2,
    )
