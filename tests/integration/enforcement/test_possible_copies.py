"""DESIGN rule 11: a video that shares only footage with a compilation is never swept in.

A compilation holds a banked clip and other footage (the filler); an unrelated video shares
only that filler. Confirming the compilation's csam case removes the compilation and suspends
its uploader, shows the unrelated video to the reviewer as a possible copy, and touches
neither it nor its uploader; the internal bank gets the clip, not the filler.
"""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import select

from takedown.services.enforcement import INTERNAL_CSAM_BANK
from takedown.signals.hashing import hash_media
from takedown.signals.vpdq import format_frames
from takedown.store.banks import Bank, BankHash
from tests.support.banks import add_hashes, make_bank, upload
from tests.support.enforcement import account_states, content_state, decide
from tests.support.factories import Api
from tests.support.synthetic_media import scene_frames, video_bytes

FPS = 4
SECONDS = 8


def footage(seed: int) -> list[np.ndarray]:
    return list(scene_frames(seed, SECONDS, FPS))


def post_video(api: Api, content_id: str, account_id: str, frames: list[np.ndarray]) -> None:
    response = upload(api, content_id, video_bytes(frames, FPS), account_id, name="v.mp4")
    assert response.status_code == 200, response.text
    api.runtime.worker.drain()


def internal_vpdq(api: Api) -> list[list[str]]:
    with api.runtime.transaction() as session:
        values = session.scalars(
            select(BankHash.value)
            .join(Bank, Bank.id == BankHash.bank_id)
            .where(Bank.name == INTERNAL_CSAM_BANK, BankHash.signal == "vpdq")
        )
        return [json.loads(v) for v in values]


def case_of(api: Api, content_id: str) -> str:
    response = api.client.get(f"/v1/content/{content_id}", headers=api.key("platform"))
    [case_id] = response.json()["case_ids"]
    return str(case_id)


def test_confirming_a_compilation_never_touches_a_video_sharing_only_its_filler(
    api: Api,
) -> None:
    clip, filler, other = footage(61), footage(62), footage(63)
    make_bank(api, "csam-test", action="hold", child_safety=True)
    banked = hash_media(video_bytes(clip, FPS)).vpdq
    assert banked is not None
    add_hashes(api, "csam-test", {"signal": "vpdq", "value": format_frames(banked)})
    post_video(api, "unrelated", "acct-innocent", filler + other)
    post_video(api, "compilation", "acct-uploader", filler + clip)
    assert content_state(api, "unrelated") == "visible"
    assert content_state(api, "compilation") == "restricted"  # the banked clip is in it whole
    case_id = case_of(api, "compilation")

    decide(api, case_id, "violating", "csam")
    api.runtime.worker.drain()  # the internal bank's retroactive scan among the jobs

    assert content_state(api, "compilation") == "removed"
    assert content_state(api, "unrelated") == "visible"
    accounts = account_states(api)
    assert accounts["acct-uploader"][0] == "suspended"
    assert accounts.get("acct-innocent", ("active", 0))[0] != "suspended"

    case = api.case(case_id)
    assert [c["content_id"] for c in case["content"]] == ["compilation"]
    [proposal] = case["possible_copies"]
    assert proposal["content_id"] == "unrelated" and proposal["account_id"] == "acct-innocent"
    assert proposal["overlap_s"] >= 5 and proposal["match_percent"] < 80
    assert "distance" not in proposal

    # What went to the internal bank is the clip's stretch of the compilation, not the filler.
    [part] = internal_vpdq(api)
    times = [float(line.split(",")[3]) for line in part]
    assert times and min(times) >= SECONDS - 1 and len(times) <= (SECONDS + 1) * FPS
    # So the filler on its own, posted again, is not blocked.
    post_video(api, "filler-again", "acct-other", filler)
    assert content_state(api, "filler-again") == "visible"
    assert content_state(api, "unrelated") == "visible"


def test_a_reviewer_can_link_a_possible_copy_and_then_it_goes_with_the_case(api: Api) -> None:
    clip, filler, other = footage(71), footage(72), footage(73)
    make_bank(api, "csam-test", action="hold", child_safety=True)
    banked = hash_media(video_bytes(clip, FPS)).vpdq
    assert banked is not None
    add_hashes(api, "csam-test", {"signal": "vpdq", "value": format_frames(banked)})
    post_video(api, "compilation", "acct-uploader", filler + clip)
    post_video(api, "shares-filler", "acct-second", filler + other)
    case_id = case_of(api, "compilation")
    # The later upload shares the filler: shown on the case, not joined to it or hidden.
    assert content_state(api, "shares-filler") == "visible"
    assert [p["content_id"] for p in api.case(case_id)["possible_copies"]] == ["shares-filler"]

    link = f"/v1/cases/{case_id}/possible-copies/shares-filler/link"
    unknown = api.client.post(
        f"/v1/cases/{case_id}/possible-copies/compilation/link", headers=api.key("lead", "lead-1")
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert api.client.post(link, headers=api.key("platform")).status_code == 403
    assert content_state(api, "shares-filler") == "visible"  # refused requests changed nothing

    linked = api.client.post(link, headers=api.key("lead", "lead-1"))
    assert linked.status_code == 200, linked.text
    assert "shares-filler" in linked.json()["content_ids"]
    assert content_state(api, "shares-filler") == "restricted"
    assert api.case(case_id)["possible_copies"] == []
    decide(api, case_id, "violating", "csam")
    assert content_state(api, "shares-filler") == "removed"
    late = api.client.post(link, headers=api.key("lead", "lead-1"))
    assert late.status_code == 409 and late.json()["error"]["code"] == "conflict"


def test_a_hash_report_of_a_compilation_proposes_a_video_sharing_its_filler(api: Api) -> None:
    """A guardian reports a compilation by its vPDQ: the stored video that shares only the
    filler is shown on the case, not hidden or linked."""
    clip, filler, other = footage(81), footage(82), footage(83)
    post_video(api, "shares-filler", "acct-innocent", filler + other)
    reported = hash_media(video_bytes(filler + clip, FPS)).vpdq
    assert reported is not None
    response = api.client.post(
        "/v1/hash-reports",
        json={
            "hashes": [{"signal": "vpdq", "value": format_frames(reported)}],
            "category": "child_sexual_exploitation",
            "reporter_role": "parent_guardian",
            "depicts_minor": True,
        },
    )
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["matched_content_ids"] == []
    assert content_state(api, "shares-filler") == "visible"
    case = api.case(out["case_id"])
    assert case["content"] == []
    assert [p["content_id"] for p in case["possible_copies"]] == ["shares-filler"]


def test_a_reviewer_marks_the_part_of_a_reported_compilation_that_is_banked(api: Api) -> None:
    """No bank knew the clip: a guardian reports the compilation, the reviewer marks the
    clip's stretch, and only that stretch goes to the internal bank."""
    clip, filler = footage(91), footage(92)
    post_video(api, "compilation", "acct-uploader", filler + clip)
    report = api.report(
        content_id="compilation", reporter_role="parent_guardian", depicts_minor=True
    )
    case_id = report["case_id"]
    mark = f"/v1/cases/{case_id}/content/compilation/bank-part"
    lead = api.key("lead", "lead-1")
    for bad in ([], [[5, 2]], [["a", 3]], [[0, 1, 2]], "8-16"):
        refused = api.client.put(mark, json={"segments": bad}, headers=lead)
        assert refused.status_code == 422, (bad, refused.text)
    missing = api.client.put(
        f"/v1/cases/{case_id}/content/nope/bank-part", json={"segments": [[0, 1]]}, headers=lead
    )
    assert missing.status_code == 404
    marked = api.client.put(mark, json={"segments": [[SECONDS, 2 * SECONDS]]}, headers=lead)
    assert marked.status_code == 200, marked.text

    decide(api, case_id, "violating", "csam")
    api.runtime.worker.drain()
    [part] = internal_vpdq(api)
    times = [float(line.split(",")[3]) for line in part]
    assert min(times) >= SECONDS and max(times) <= 2 * SECONDS
    post_video(api, "filler-again", "acct-other", filler)
    assert content_state(api, "filler-again") == "visible"
    post_video(api, "clip-again", "acct-third", clip)
    assert content_state(api, "clip-again") == "removed"  # the internal bank blocks
    late = api.client.put(mark, json={"segments": [[0, 1]]}, headers=lead)
    assert late.status_code == 409
