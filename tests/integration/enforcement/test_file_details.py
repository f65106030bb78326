"""What each filed file says to NCMEC: its hashes (MD5, SHA-256, PDQ), whether a reviewer
really looked at it, whether the public could see it, who uploaded it and where it was."""

from __future__ import annotations

from takedown.services import review
from takedown.services.access import Principal, Role
from takedown.services.cases import get_case
from tests.support.enforcement import decide, synthetic_png, upload
from tests.support.factories import Api
from tests.support.fake_cybertipline import FakeCyberTipline, FakeReport
from tests.support.media_host import MediaHost


def details_by_name(report: FakeReport) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for file in report.files.values():
        assert file.details is not None
        d = file.details
        out[d.findtext("originalFileName") or ""] = {
            "viewed": d.findtext("fileViewedByEsp"),
            "public": d.findtext("publiclyAvailable"),
            "location": d.findtext("locationOfFile"),
            "hashes": {h.get("hashType"): h.text for h in d.findall("originalFileHash")},
            "md5": file.md5,
        }
    return out


def test_hashes_reveals_exposure_accounts_and_urls_are_what_happened(
    api: Api, ncmec: FakeCyberTipline, media: MediaHost
) -> None:
    picture = synthetic_png(11)
    url_1, url_2 = media.put("/m/p-1.png", picture), media.put("/m/p-2.png", picture)
    upload(api, "p-1", "acct-a", picture, url_1)
    upload(api, "p-2", "acct-b", picture, url_2)
    case_id = api.report(content_id="p-1", reporter_role="parent_guardian", depicts_minor=True)[
        "case_id"
    ]
    api.runtime.worker.drain()  # evidence copies
    # A lead claims the case and reveals p-1 only; p-2 is never looked at unblurred.
    lead = Principal("lead-1", Role.LEAD)
    with api.runtime.transaction() as session:
        case = get_case(session, case_id)
        now = api.runtime.clock.now()
        review.claim(session, case, lead, now)
        item = next(link.item for link in case.links if link.item.content_id == "p-1")
        review.reveal(session, case, item.id, lead, now)
    decide(api, case_id, "violating", "csam")
    api.runtime.worker.drain()

    [filed] = ncmec.finished_reports()
    assert ncmec.problems == []
    files = details_by_name(filed)
    assert set(files) == {"p-1.png", "p-2.png"}
    assert files["p-1.png"]["viewed"] == "true"
    assert files["p-2.png"]["viewed"] == "false"
    assert files["p-1.png"]["public"] == files["p-2.png"]["public"] == "true"
    assert files["p-1.png"]["location"] == url_1
    for file in files.values():
        hashes = file["hashes"]
        assert isinstance(hashes, dict)
        assert set(hashes) == {"MD5", "SHA256", "PDQ"}
        assert hashes["MD5"] == file["md5"]
    urls = {u.text for u in filed.xml.findall("internetDetails/webPageIncident/url")}
    assert urls == {url_1, url_2}
    reported = {
        p.findtext("espIdentifier"): p.findtext("accountPermanentlyDisabled")
        for p in filed.xml.findall("personOrUserReported")
    }
    assert reported == {"acct-a": "true", "acct-b": "true"}


def test_an_item_hidden_from_its_upload_was_never_publicly_available(
    api: Api, ncmec: FakeCyberTipline, media: MediaHost
) -> None:
    # Reported before the platform registered it: hidden the moment it arrives.
    case_id = api.report(content_id="p-9", reporter_role="depicted_person", depicts_minor=True)[
        "case_id"
    ]
    picture = synthetic_png(12)
    upload(api, "p-9", "acct-c", picture, media.put("/m/p-9.png", picture))
    decide(api, case_id, "violating", "csam")
    api.runtime.worker.drain()
    [filed] = ncmec.finished_reports()
    assert details_by_name(filed)["p-9.png"]["public"] == "false"
    assert ncmec.problems == []
