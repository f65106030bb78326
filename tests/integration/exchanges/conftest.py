"""Exchanges against fakes of NCMEC's hash sharing API and StopNCII, configured the way an
operator does: through `/hma/c/exchanges` with credentials set on the exchange API."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

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
