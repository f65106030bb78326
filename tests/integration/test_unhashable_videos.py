"""Junk "videos" from one account go to review together, not one case each (issue 10.9)."""

from __future__ import annotations

from sqlalchemy import select

from takedown.store.models import Case, CaseItem, ContentItem
from tests.support.banks import upload
from tests.support.factories import Api

# An MP4 signature followed by noise: recognised as a video, impossible to decode.
JUNK = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 8


def junk(seed: int) -> bytes:
    return JUNK + seed.to_bytes(4, "big")


def cases_by_account(api: Api) -> dict[str, set[str]]:
    with api.runtime.transaction() as session:
        rows = session.execute(
            select(ContentItem.account_id, Case.id)
            .join(CaseItem, CaseItem.item_id == ContentItem.id)
            .join(Case, Case.id == CaseItem.case_id)
        )
        out: dict[str, set[str]] = {}
        for account, case_id in rows:
            out.setdefault(account, set()).add(case_id)
        return out


def test_unhashable_uploads_are_grouped_into_one_review_case_per_account(api: Api) -> None:
    for n in range(4):
        response = upload(api, f"junk-{n}", junk(n), name=f"junk-{n}.mp4", account_id="acct-a")
        assert response.status_code == 200, response.text
    upload(api, "junk-b", junk(9), name="junk-b.mp4", account_id="acct-b")
    api.runtime.worker.drain()
    grouped = cases_by_account(api)
    assert len(grouped["acct-a"]) == 1  # four uploads, one case
    assert len(grouped["acct-b"]) == 1 and grouped["acct-b"] != grouped["acct-a"]
    [case_id] = grouped["acct-a"]
    case = api.case(case_id)
    assert sorted(c["content_id"] for c in case["content"]) == [f"junk-{n}" for n in range(4)]
    for n in range(4):
        state = api.client.get(f"/v1/content/junk-{n}", headers=api.key("platform")).json()
        assert state["state"] == "restricted"  # still never published unseen
