"""The sandbox behaves like NCMEC's Reporting API, as `ncmec-cybertip` (a typed client no one
here wrote, built from NCMEC's documentation) sees it: every step, every error answer, the
`Request-ID` header, the schema, and the deletion of abandoned reports."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from takedown.clock import ManualClock
from takedown.cybertipline.sandbox import RESPONSE_CODES, FakeCyberTipline
from takedown.cybertipline.schema import xsd_bytes
from tests.support.ncmec_client import load

nc: Any = load()
T = TypeVar("T")
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[FakeCyberTipline]:
    fake = FakeCyberTipline(clock=clock.now)
    yield fake
    fake.close()


def run(sandbox: FakeCyberTipline, use: Callable[[Any], Awaitable[T]], password: str = "") -> T:
    async def go() -> T:
        async with nc.CyberTiplineClient(
            username=sandbox.username,
            password=password or sandbox.password,
            base_url=sandbox.url,
        ) as client:
            return await use(client)

    return asyncio.run(go())


def a_report(victim: bool = True) -> Any:
    return nc.Report(
        incident_summary=nc.IncidentSummary(
            incident_type=nc.IncidentType.CHILD_PORNOGRAPHY,
            incident_date_time=START,
        ),
        internet_details=[
            nc.InternetDetails(web_page_incident=nc.WebPageIncident(url=["https://x.example/p"]))
        ],
        reporter=nc.Reporter(
            reporting_person=nc.Person(
                first_name="Safety", email=[nc.Email(value="safety@platform.example")]
            )
        ),
        victim=[nc.Victim(person=nc.Person(), esp_identifier="acct-v")] if victim else [],
    )


def error(sandbox: FakeCyberTipline, use: Callable[[Any], Awaitable[Any]], **kw: str) -> Any:
    with pytest.raises(nc.ApiError) as refused:
        run(sandbox, use, **kw)
    return refused.value


def test_submit_upload_fileinfo_finish(sandbox: FakeCyberTipline) -> None:
    data = b"synthetic bytes standing in for a file"

    async def file(client: Any) -> tuple[Any, Any, Any]:
        status = await client.status()
        assert status.response_code == 0
        assert (await client.get_xsd()).encode() == xsd_bytes()
        opened = await client.submit(a_report())
        uploaded = await client.upload(opened.report_id, data, filename="f.png")
        await client.file_info(
            nc.FileDetails(
                report_id=opened.report_id,
                file_id=uploaded.file_id,
                original_file_name="f.png",
                file_viewed_by_esp=True,
                original_file_hash=nc.file_hashes(data),
            )
        )
        done = await client.finish(opened.report_id)
        return opened, uploaded, done

    opened, uploaded, done = run(sandbox, file)
    assert uploaded.hash == __import__("hashlib").md5(data).hexdigest()
    assert done.report_id == opened.report_id
    assert done.file_ids == [uploaded.file_id]
    (report,) = sandbox.finished_reports()
    assert report.files[uploaded.file_id].data == data
    assert sandbox.problems == []


def test_retract_then_every_later_step_is_refused(sandbox: FakeCyberTipline) -> None:
    async def retract(client: Any) -> int:
        opened = await client.submit(a_report())
        await client.retract(opened.report_id)
        return int(opened.report_id)

    report_id = run(sandbox, retract)
    again = error(sandbox, lambda c: c.retract(report_id))
    assert again.response_code == nc.ResponseCode.REPORT_ALREADY_RETRACTED == 5101
    assert again.description == "Report already retracted"
    assert again.request_id
    assert error(sandbox, lambda c: c.finish(report_id)).response_code == 5101


def test_a_finished_report_takes_nothing_more(sandbox: FakeCyberTipline) -> None:
    async def finish(client: Any) -> int:
        opened = await client.submit(a_report(victim=False))
        await client.finish(opened.report_id)
        return int(opened.report_id)

    report_id = run(sandbox, finish)
    for step in (
        lambda c: c.upload(report_id, b"x", filename="x"),
        lambda c: c.retract(report_id),
        lambda c: c.finish(report_id),
    ):
        refused = error(sandbox, step)
        assert refused.response_code == 5102


def test_the_old_victim_form_fails_validation(sandbox: FakeCyberTipline) -> None:
    old = a_report(victim=False).to_xml(encoding="utf-8", exclude_none=True).decode()
    old = old.replace(
        "</report>", "<victim><espIdentifier>acct-v</espIdentifier></victim></report>"
    )

    async def submit_raw(client: Any) -> httpx.Response:
        return await client._client.post(f"{sandbox.url}/submit", content=old.encode())

    response = run(sandbox, submit_raw)
    assert response.status_code == 400
    assert "<responseCode>4100</responseCode>" in response.text
    assert "victimPerson" in response.text
    assert response.headers["Request-ID"]
    assert sandbox.reports == {}


def test_error_answers_are_ncmecs_codes_and_texts(sandbox: FakeCyberTipline) -> None:
    assert error(sandbox, lambda c: c.status(), password="wrong").response_code == 2000
    assert error(sandbox, lambda c: c.finish(123)).response_code == 5001
    assert error(sandbox, lambda c: c.upload(999, b"x", filename="x")).response_code == 5001

    async def no_file(client: Any) -> None:
        opened = await client.submit(a_report())
        await client.file_info(nc.FileDetails(report_id=opened.report_id, file_id="nope"))

    missing = error(sandbox, no_file)
    assert (missing.response_code, missing.description) == (5002, "File does not exist")

    async def malformed(client: Any) -> httpx.Response:
        return await client._client.post(f"{sandbox.url}/submit", content=b"<report><oops>")

    response = run(sandbox, malformed)
    assert (response.status_code, "<responseCode>4110</responseCode>" in response.text) == (
        400,
        True,
    )
    assert set(RESPONSE_CODES) >= {0, 1000, 1100, 1110, 1111, 1210, 1300, 2000, 3000, 3100}
    assert {3300, 4000, 4100, 4110, 4200, 5001, 5002, 5101, 5102} <= set(RESPONSE_CODES)
    for code, text in RESPONSE_CODES.items():
        if code in {c for c in vars(nc.ResponseCode).values() if isinstance(c, int)}:
            assert text  # every documented code has NCMEC's text


def test_an_unfinished_report_is_deleted_after_24_hours_or_1_hour_after_a_change(
    sandbox: FakeCyberTipline, clock: ManualClock
) -> None:
    async def open_report(client: Any) -> int:
        return int((await client.submit(a_report())).report_id)

    idle = run(sandbox, open_report)
    busy = run(sandbox, open_report)
    clock.advance(timedelta(hours=23, minutes=30))
    run(sandbox, lambda c: c.upload(busy, b"late file", filename="late.png"))
    clock.advance(timedelta(minutes=31))  # 24h01 after opening; 31 minutes after the upload
    assert error(sandbox, lambda c: c.finish(idle)).response_code == 5001
    clock.advance(timedelta(minutes=30))  # 61 minutes after the upload
    assert error(sandbox, lambda c: c.finish(busy)).response_code == 5001
