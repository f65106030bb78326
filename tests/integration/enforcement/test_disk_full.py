"""ENOSPC on the data folder (issue 10 item 11): while the disk is full, a report that hides
content is still acknowledged and stored, the evidence copy waits, and once space is back the
copy is kept. Nothing acknowledged is lost."""

from __future__ import annotations

import errno
from datetime import timedelta

import pytest

from takedown.clock import ManualClock
from takedown.services import evidence
from takedown.store.evidence_vault import EvidenceVault
from tests.support.enforcement import events, synthetic_png, upload
from tests.support.factories import Api
from tests.support.media_host import MediaHost


def test_a_full_disk_delays_the_evidence_copy_and_loses_nothing(
    api: Api, media: MediaHost, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    picture = synthetic_png(31)
    upload(api, "p-1", "acct-a", picture, media.put("/m/p-1.png", picture))
    writes: list[str] = []

    def disk_full(_vault: EvidenceVault, record_id: str, piece: str, _data: bytes) -> None:
        writes.append(f"{record_id}.{piece}")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(EvidenceVault, "put", disk_full)
    report = api.report(content_id="p-1", reporter_role="depicted_person", depicts_minor=True)
    for _ in range(3):
        api.runtime.worker.drain()
        clock.advance(timedelta(minutes=10))
    assert writes, "the evidence copy never tried to write"
    case = api.case(report["case_id"])
    assert [r["report_id"] for r in case["reports"]] == [report["report_id"]]
    assert [e["type"] for e in case["events"]].count("restrict") == 1
    assert not [
        e for e in events(api, report["case_id"], "evidence") if e["data"]["action"] == "captured"
    ]

    monkeypatch.undo()  # space again
    for _ in range(6):
        clock.advance(timedelta(hours=1))
        api.runtime.worker.drain()
    captured = [
        e for e in events(api, report["case_id"], "evidence") if e["data"]["action"] == "captured"
    ]
    assert len(captured) == 1
    with api.runtime.transaction() as session:
        media_bytes, _ = evidence.read_media(session, "p-1", "legal-1", clock.now())
    assert media_bytes == picture
