"""A reviewer's verdict on a match with an exchange's hash reaches that exchange as feedback,
through the outbox: NCMEC's upvote or downvote, StopNCII's Blocked or NotBlocked."""

from __future__ import annotations

from tests.integration.exchanges.conftest import fetch, ncmec_exchange, stopncii_exchange
from tests.support.factories import Api
from tests.support.fake_ncmec_hashes import NEGATIVE_REASON, FakeEntry, FakeNcmecHashes
from tests.support.fake_stopncii import FakeStopNcii
from tests.support.review import decide

MD5_A = "0a" * 16
MD5_B = "0b" * 16
PDQ_A = "f0" * 32


def case_of(api: Api, content_id: str, **signals: object) -> str:
    answer = api.register(content_id, **signals)
    assert answer["matches"], answer
    return str(answer["matches"][0]["case_id"])


def test_a_match_names_the_exchange_and_upstream_entry(api: Api, ncmec: FakeNcmecHashes) -> None:
    ncmec.add(FakeEntry("img-9", 4, 1_750_000_000, {"md5": MD5_A}))
    name = ncmec_exchange(api, ncmec)
    assert fetch(api, name).up_to_date
    match = api.register("upload-9", md5=MD5_A)["matches"][0]
    assert (match["bank"], match["exchange"], match["upstream_id"]) == (name, name, "img-9")


def test_ncmec_hears_a_confirmed_and_a_rejected_match(api: Api, ncmec: FakeNcmecHashes) -> None:
    ncmec.add(FakeEntry("img-1", 7, 1_750_000_000, {"md5": MD5_A}))
    ncmec.add(FakeEntry("img-2", 9, 1_750_000_001, {"md5": MD5_B}))
    name = ncmec_exchange(api, ncmec)
    assert fetch(api, name).up_to_date

    confirmed = case_of(api, "upload-a", md5=MD5_A)
    rejected = case_of(api, "upload-b", md5=MD5_B)
    assert decide(api, confirmed, "rev", "reviewer", "violating").status_code == 200
    assert decide(api, rejected, "rev", "reviewer", "not_violating", "none").status_code == 200
    assert ncmec.feedback == []  # nothing is sent inside the reviewer's request
    api.runtime.worker.drain()

    assert ncmec.problems == []
    assert {(f.member_id, f.entry_id, f.fingerprint, f.vote) for f in ncmec.feedback} == {
        (7, "img-1", "MD5", "affirmative"),
        (9, "img-2", "MD5", "negative"),
    }
    assert [f.reason_guid for f in ncmec.feedback if f.vote == "negative"] == [NEGATIVE_REASON]
    api.runtime.worker.drain()
    assert len(ncmec.feedback) == 2  # each verdict sent once


def test_stopncii_hears_blocked_and_not_blocked(api: Api, stopncii: FakeStopNcii) -> None:
    stopncii.add(PDQ_A, 1_700_000_000)
    stopncii.add(MD5_A, 1_700_000_001, signal="VideoMD5")
    name = stopncii_exchange(api, stopncii)
    assert fetch(api, name).up_to_date

    confirmed = case_of(api, "image-a", pdq=PDQ_A, pdq_quality=100)
    rejected = case_of(api, "video-a", md5=MD5_A)
    assert decide(api, confirmed, "rev", "reviewer", "violating", "ncii").status_code == 200
    assert decide(api, rejected, "rev", "reviewer", "not_violating", "none").status_code == 200
    api.runtime.worker.drain()

    assert stopncii.problems == []
    assert sorted((f["hashValue"], f["feedbackValue"]) for f in stopncii.feedback) == sorted(
        [(PDQ_A, "Blocked"), (MD5_A, "NotBlocked")]
    )
