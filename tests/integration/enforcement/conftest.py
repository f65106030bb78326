"""Fixtures for enforcement tests: a fake CyberTipline, a media host, settings that use them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from takedown.config import Settings
from tests.support.fake_cybertipline import FakeCyberTipline, filing_to
from tests.support.media_host import MediaHost


@pytest.fixture
def ncmec() -> Iterator[FakeCyberTipline]:
    fake = FakeCyberTipline()
    yield fake
    fake.close()


@pytest.fixture
def media() -> Iterator[MediaHost]:
    host = MediaHost()
    yield host
    host.close()


@pytest.fixture
def settings(settings: Settings, ncmec: FakeCyberTipline) -> Settings:
    # The media host runs on loopback.
    return replace(filing_to(settings, ncmec), fetch_allow="127.0.0.1")
