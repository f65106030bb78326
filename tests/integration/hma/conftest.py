"""An HMA client's view of Takedown: `/hma` reached from a private network, with no key, as
ROOST Coop and fetlife's client call HMA; a media host on 127.0.0.1 for url hashing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from takedown.app import create_app
from takedown.config import Settings
from takedown.runtime import Runtime
from tests.support.media_host import MediaHost

CLIENT_ADDRESS = ("10.20.0.7", 41000)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, hma_open_from=("10.20.0.0/16",), fetch_allow="127.0.0.1")


@pytest.fixture
def hma(runtime: Runtime) -> Iterator[TestClient]:
    """A client on the open network, as HMA deployments expect their callers to be."""
    with TestClient(create_app(runtime, run_worker=False), client=CLIENT_ADDRESS) as client:
        yield client


@pytest.fixture
def media_host() -> Iterator[MediaHost]:
    host = MediaHost()
    yield host
    host.close()
