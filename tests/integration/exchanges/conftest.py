"""Exchanges against fakes of NCMEC's hash sharing API and StopNCII, configured the way an
operator does: through `/hma/c/exchanges` with credentials set on the exchange API."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import select

from takedown.config import Settings
from takedown.exchanges.fetch import FetchOutcome, fetch_exchange
from takedown.store.banks import Bank, BankHash
from takedown.store.exchanges import ExchangeEntry
from tests.support.factories import Api
from tests.support.fake_ncmec_hashes import FakeNcmecHashes
from tests.support.fake_stopncii import FakeStopNcii
from tests.support.fake_threatexchange import FakeThreatExchange

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def ncmec() -> Iterator[FakeNcmecHashes]:
    fake = FakeNcmecHashes()
    yield fake
    fake.close()


@pytest.fixture
def stopncii() -> Iterator[FakeStopNcii]:
    fake = FakeStopNcii()
    yield fake
    fake.close()


@pytest.fixture
def threatexchange() -> Iterator[FakeThreatExchange]:
    fake = FakeThreatExchange()
    yield fake
    fake.close()


@pytest.fixture
def settings(
    settings: Settings,
    ncmec: FakeNcmecHashes,
    stopncii: FakeStopNcii,
    threatexchange: FakeThreatExchange,
) -> Settings:
    return dataclasses.replace(
        settings,
        ncmec_hash_sharing_url=ncmec.url,
        stopncii_url=stopncii.url,
        threatexchange_url=threatexchange.url,
        stopncii_feedback_key=stopncii.feedback_key,
    )


def add_exchange(api: Api, name: str, kind: str, api_json: dict[str, object]) -> None:
    response = api.client.post(
        "/hma/c/exchanges",
        json={"bank": name, "api": kind, "api_json": api_json},
        headers=api.key("admin"),
    )
    assert response.status_code == 201, response.text


def set_credentials(api: Api, kind: str, credentials: dict[str, object]) -> None:
    response = api.client.post(
        f"/hma/c/exchanges/api/{kind}",
        json={"credential_json": credentials},
        headers=api.key("admin"),
    )
    assert response.status_code == 200, response.text


def ncmec_exchange(api: Api, fake: FakeNcmecHashes, name: str = "NCMEC_TEST") -> str:
    set_credentials(api, "ncmec", {"user": fake.user, "password": fake.password})
    add_exchange(api, name, "ncmec", {"environment": "https://exttest.cybertip.org/hashsharing"})
    return name


def stopncii_exchange(api: Api, fake: FakeStopNcii, name: str = "STOPNCII_TEST") -> str:
    set_credentials(
        api,
        "stop_ncii",
        {"fetch_function_key": fake.fetch_key, "subscription_key": fake.subscription_key},
    )
    add_exchange(api, name, "stop_ncii", {})
    return name


def threatexchange_exchange(
    api: Api, fake: FakeThreatExchange, name: str = "THREATEXCHANGE_TEST"
) -> str:
    set_credentials(api, "fb_threatexchange", {"api_token": fake.token})
    add_exchange(api, name, "fb_threatexchange", {"privacy_group": fake.privacy_group})
    return name


def fetch(api: Api, name: str, max_pages: int | None = None) -> FetchOutcome:
    rt = api.runtime
    return fetch_exchange(rt.sessions, name, rt.settings, rt.clock, max_pages=max_pages)


def banked(api: Api, bank: str) -> list[tuple[str, str, bool]]:
    """(signal, value, acting) for every entry of the bank, in id order."""
    with api.runtime.sessions() as session:
        rows = session.scalars(
            select(BankHash).join(Bank).where(Bank.name == bank).order_by(BankHash.id)
        )
        return [(r.signal, r.value, r.retired_at is None) for r in rows]


def provenance(api: Api, exchange: str) -> list[ExchangeEntry]:
    with api.runtime.sessions() as session:
        rows = list(
            session.scalars(
                select(ExchangeEntry)
                .where(ExchangeEntry.exchange == exchange)
                .order_by(ExchangeEntry.record_key, ExchangeEntry.upstream_signal)
            )
        )
        session.expunge_all()
        return rows


class PausingFake(Protocol):
    """A fake exchange that can hold a fetch on one page: `waiting` is set when it is there."""

    waiting: threading.Event
    release: threading.Event

    def block_on_page(self, page: int) -> None: ...


def kill_fetch_on_page(
    api: Api, fake: PausingFake, name: str, page: int, data_dir: Path, env: dict[str, str]
) -> None:
    """Run `takedown exchange fetch NAME` in its own process, kill it with SIGKILL while it waits
    on `page`, then let the fake serve every page again."""
    fake.block_on_page(page)
    process = subprocess.Popen(
        [sys.executable, "-m", "takedown.cli.main", "exchange", "fetch", name],
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "TAKEDOWN_DATABASE_URL": api.runtime.settings.database_url,
            "TAKEDOWN_DATA_DIR": str(data_dir),
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert fake.waiting.wait(60), f"the fetch never reached page {page}"
        process.send_signal(signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    fake.release.set()
    fake.block_on_page(0)
