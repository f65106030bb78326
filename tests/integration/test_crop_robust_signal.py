"""A cropped re-upload of banked media is caught by the `orb` signal, through every door."""

from __future__ import annotations

import csv
import io

from tests.support.banks import add_hashes, content, make_bank, uploaded
from tests.support.factories import Api
from tests.support.synthetic_media import encoded, synthetic_image


def _jpeg(seed: int, box: tuple[int, int, int, int] | None = None) -> bytes:
    image = synthetic_image(seed, (640, 480))
    return encoded(image.crop(box) if box else image, "JPEG", quality=85)


CROPPED = (64, 48, 640, 480)  # 10% of width and height cut from the top-left corner


def test_a_cropped_upload_matches_the_banked_original_and_plain_pdq_does_not(api: Api) -> None:
    original = uploaded(api, "original", _jpeg(21))
    make_bank(api, "known", action="block", child_safety=True)
    assert (
        add_hashes(api, "known", {"signal": "orb", "value": original["signals"]["orb"]})["added"]
        == 1
    )

    out = uploaded(api, "cropped", _jpeg(21, CROPPED), account_id="acct-2")
    assert out["verdict"] == "block" and out["state"] == "removed"
    assert [(m["bank"], m["signal"]) for m in out["matches"]] == [("known", "orb")]
    assert "cropped" in api.case(out["matches"][0]["case_id"])["content_ids"]
    assert uploaded(api, "other", _jpeg(22), account_id="acct-3")["matches"] == []

    found = api.client.post(
        "/v1/match",
        json={"signal": "orb", "value": out["signals"]["orb"]},
        headers=api.key("platform"),
    ).json()["matches"]
    assert [m["bank"] for m in found] == ["known"]


def test_a_banked_orb_value_finds_stored_crops_retroactively(api: Api) -> None:
    uploaded(api, "stored-crop", _jpeg(31, CROPPED))
    uploaded(api, "stored-other", _jpeg(32))
    make_bank(api, "late", action="hold", child_safety=True)
    banked = uploaded(api, "probe", _jpeg(31), account_id="acct-9")["signals"]["orb"]
    add_hashes(api, "late", {"signal": "orb", "value": banked})
    api.runtime.worker.drain()
    assert content(api, "stored-crop")["state"] == "restricted"
    assert content(api, "stored-other")["state"] == "visible"


def test_orb_values_round_trip_through_csv_and_bad_ones_are_refused(api: Api) -> None:
    make_bank(api, "csv-bank", action="review", child_safety=False)
    value = uploaded(api, "x", _jpeg(41))["signals"]["orb"]
    bad = api.client.post(
        "/v1/banks/csv-bank/hashes",
        json={"hashes": [{"signal": "orb", "value": "not-keypoints"}]},
        headers=api.key("admin"),
    )
    assert bad.status_code == 422, bad.text
    add_hashes(api, "csv-bank", {"signal": "orb", "value": value})
    exported = api.client.get("/v1/banks/csv-bank/hashes.csv", headers=api.key("admin"))
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["signal"], r["value"]) for r in rows] == [("orb", value)]
