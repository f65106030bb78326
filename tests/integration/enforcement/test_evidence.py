"""Evidence: encrypted at rest under the data folder, never in the database, every access logged."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, select

from takedown.clock import ManualClock
from takedown.services import evidence
from takedown.store.evidence_vault import EvidenceUnreadable, EvidenceVault
from takedown.store.filings import EvidenceRecord
from takedown.store.schema import Base
from tests.support.enforcement import decide, events, synthetic_png, upload
from tests.support.factories import Api
from tests.support.media_host import MediaHost


def hidden_item(api: Api, media: MediaHost, seed: int = 3) -> tuple[bytes, dict[str, str]]:
    picture = synthetic_png(seed)
    upload(api, "p-1", "acct-a", picture, media.put("/m/p-1.png", picture))
    report = api.report(content_id="p-1", reporter_role="depicted_person", depicts_minor=True)
    api.runtime.worker.drain()
    return picture, report


def test_evidence_on_disk_does_not_open_without_the_key(api: Api, media: MediaHost) -> None:
    picture, _ = hidden_item(api, media)
    folder = api.runtime.settings.data_dir / "evidence"
    files = sorted(folder.iterdir())
    assert [f.suffix for f in files] == [".media", ".meta"]
    on_disk = files[0].read_bytes()
    assert picture not in on_disk and picture[:64] not in on_disk
    assert b"p-1" not in files[1].read_bytes()  # metadata is encrypted too
    record_id = files[0].stem
    other_key = EvidenceVault(folder, os.urandom(32))
    with pytest.raises(EvidenceUnreadable):
        other_key.get(record_id, "media")
    right_key = EvidenceVault(folder, base64.b64decode(api.runtime.settings.evidence_key))
    assert right_key.get(record_id, "media") == picture


def test_the_database_holds_no_media_bytes(api: Api, media: MediaHost) -> None:
    picture, _ = hidden_item(api, media)
    binary = [
        f"{t.name}.{c.name}"
        for t in Base.metadata.sorted_tables
        for c in t.columns
        if isinstance(c.type, LargeBinary)
    ]
    assert binary == []
    url = api.runtime.settings.database_url
    if url.startswith("sqlite"):
        database = Path(url.removeprefix("sqlite:///"))
        stored = b"".join(
            p.read_bytes() for p in database.parent.glob(database.name + "*") if p.is_file()
        )
        chunk = picture[100:164]
        assert chunk not in stored
        assert base64.b64encode(picture[99:198]) not in stored
    with api.runtime.transaction() as session:
        record = session.scalars(select(EvidenceRecord)).one()
        assert record.status == "stored" and record.source == "url"
        assert record.size_bytes == len(picture)


def test_reading_media_for_review_is_an_event(api: Api, media: MediaHost) -> None:
    picture, report = hidden_item(api, media)
    rt = api.runtime
    with rt.transaction() as session:
        got = evidence.read_media(session, "p-1", "reviewer-1", rt.clock.now())
    assert got == (picture, "image/png")
    accessed = [
        e for e in events(api, report["case_id"], "evidence") if e["data"]["action"] == "accessed"
    ]
    assert [(e["actor"], e["data"]["purpose"]) for e in accessed] == [("reviewer-1", "review")]
    with rt.transaction() as session:
        assert evidence.read_media(session, "unknown", "reviewer-1", rt.clock.now()) is None


def test_an_upload_hidden_in_its_own_request_keeps_the_uploaded_bytes(
    api: Api, media: MediaHost
) -> None:
    # The report comes first; the upload that it names is hidden as it is registered.
    report = api.report(content_id="p-9", reporter_role="depicted_person", depicts_minor=True)
    picture = synthetic_png(9)
    out = upload(api, "p-9", "acct-z", picture)  # no url: only the upload can be kept
    assert out["state"] == "restricted"
    api.runtime.worker.drain()
    [captured] = [
        e for e in events(api, report["case_id"], "evidence") if e["data"]["action"] == "captured"
    ]
    assert captured["data"]["source"] == "upload"
    assert media.fetches == []
    with api.runtime.transaction() as session:
        assert evidence.read_media(session, "p-9", "legal-1", api.runtime.clock.now()) == (
            picture,
            "image/png",
        )


def test_legal_exports_the_evidence_package(api: Api, media: MediaHost) -> None:
    picture, report = hidden_item(api, media)
    case_id = report["case_id"]
    path = f"/v1/cases/{case_id}/evidence-package"
    assert api.client.get(path, headers=api.key("reviewer")).status_code == 403
    assert api.client.get(path, headers=api.key("admin")).status_code == 403
    response = api.client.get(path, headers=api.key("legal", "counsel-1"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    [media_name] = [n for n in names if "/media" in n]
    assert archive.read(media_name) == picture
    [meta_name] = [n for n in names if n.endswith("metadata.json")]
    metadata = json.loads(archive.read(meta_name))
    assert metadata["content_id"] == "p-1" and metadata["account_id"] == "acct-a"
    assert "p-1,md5," in archive.read("hashes.csv").decode()
    assert any(e["type"] == "restrict" for e in json.loads(archive.read("events.json")))
    exported = [e for e in events(api, case_id, "evidence") if e["data"]["action"] == "exported"]
    assert [e["actor"] for e in exported] == ["counsel-1"]


def test_retention_purges_after_its_time_but_not_under_a_legal_hold(
    api: Api, media: MediaHost, clock: ManualClock
) -> None:
    _, report = hidden_item(api, media)
    case_id = report["case_id"]
    decide(api, case_id, "violating", "harassment")  # not CSAM: kept 90 days after decision
    api.runtime.worker.drain()
    hold = api.client.post(
        f"/v1/cases/{case_id}/legal-hold",
        json={"reason": "preservation request from police"},
        headers=api.key("legal"),
    )
    assert hold.status_code == 201
    assert (
        api.client.post(
            f"/v1/cases/{case_id}/legal-hold", json={"reason": "x"}, headers=api.key("lead")
        ).status_code
        == 403
    )
    clock.advance(timedelta(days=91))
    api.runtime.worker.drain()
    folder = api.runtime.settings.data_dir / "evidence"
    assert len(list(folder.iterdir())) == 2  # held

    release = api.client.delete(f"/v1/cases/{case_id}/legal-hold", headers=api.key("legal"))
    assert release.json()["released"] is True
    api.runtime.worker.drain()
    assert list(folder.iterdir()) == []
    assert api.case(case_id)["evidence"][0]["status"] == "purged"
    actions = [e["data"]["action"] for e in events(api, case_id, "evidence")]
    assert actions[-3:] == ["legal_hold", "legal_hold_released", "purged"]


def test_csam_evidence_is_kept_a_year_after_the_filing(
    api: Api, media: MediaHost, clock: ManualClock
) -> None:
    _, report = hidden_item(api, media)
    decide(api, report["case_id"], "violating", "csam")
    api.runtime.worker.drain()
    filed_at = clock.now()
    [kept] = api.case(report["case_id"])["evidence"]
    assert kept["retain_until"] == (filed_at + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    clock.advance(timedelta(days=364))
    api.runtime.worker.drain()
    assert api.case(report["case_id"])["evidence"][0]["status"] == "stored"
    clock.advance(timedelta(days=2))
    api.runtime.worker.drain()
    assert api.case(report["case_id"])["evidence"][0]["status"] == "purged"


def test_a_web_page_at_the_registered_url_is_not_kept_as_the_media(
    api: Api, media: MediaHost
) -> None:
    picture = synthetic_png(5)
    page = media.put("/posts/p-1", b"<!doctype html><p>a post page</p>", "text/html")
    upload(api, "p-1", "acct-a", picture, page)
    report = api.report(content_id="p-1", reporter_role="depicted_person", depicts_minor=True)
    api.runtime.worker.drain()
    assert not (api.runtime.settings.data_dir / "evidence").exists() or not any(
        f.suffix == ".media" for f in (api.runtime.settings.data_dir / "evidence").iterdir()
    )
    [note] = [e for e in events(api, report["case_id"], "evidence")]
    assert "not an image or a video" in json.dumps(note["data"])
