"""A safe thumbnail of what was reported, for reports of a non-sexual category (issue 13, 6).

Never for child sexual exploitation, intimate imagery, sextortion or grooming, on anyone's
page; never by content id; gone once the item is removed.
"""

from __future__ import annotations

import io
import stat
from typing import Any

import pytest
from PIL import Image

from tests.support.factories import Api
from tests.support.public import submit_report
from tests.support.review import decide, staff_user
from tests.support.synthetic_media import encoded, synthetic_image

IMG = '<img class="item-thumbnail"'


def upload_image(api: Api, content_id: str, data: bytes, name: str = "p.png") -> dict[str, Any]:
    response = api.client.post(
        "/v1/content",
        data={"content_id": content_id, "account_id": "acct-1", "title": "Locker photo"},
        files={"file": (name, data, "image/png")},
        headers=api.key("platform"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "allow"
    return response.json()  # type: ignore[no-any-return]


def report_token(api: Api, content_id: str, category: str, who: str) -> str:
    out = api.report(
        content_id=content_id, category=category, reporter_role="third_party",
        reporter_account_id=who,
    )  # fmt: skip
    return str(out["status_token"])


def thumbnail_files(api: Api) -> list[Any]:
    folder = api.runtime.settings.data_dir / "thumbnails"
    return sorted(folder.glob("*.media")) if folder.exists() else []


def test_a_harassment_report_on_an_image_shows_a_small_safe_thumbnail(api: Api) -> None:
    original = synthetic_image(7, (640, 480))
    upload_image(api, "img-1", encoded(original))
    token = report_token(api, "img-1", "harassment", "a")

    response = api.client.get(f"/status/{token}/thumbnail")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["cache-control"].startswith("private")
    small = Image.open(io.BytesIO(response.content))
    assert small.format == "PNG"
    assert max(small.size) == 160 and small.size == (160, 120)  # the shape kept, shrunk

    page = api.client.get(f"/status/{token}").text
    assert f'{IMG} src="/status/{token}/thumbnail"' in page
    assert "Locker photo" in page

    # Kept sealed, owner-only: the file on disk is not an image anyone can open.
    [kept] = thumbnail_files(api)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert not kept.read_bytes().startswith(b"\x89PNG")


def test_nothing_of_the_original_file_survives_in_the_thumbnail(api: Api) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SyntheticCam"  # Make
    exif[0x0131] = "secret-editor 1.0"  # Software
    upload_image(
        api, "img-exif", encoded(synthetic_image(3, (300, 300)), "JPEG", exif=exif), "p.jpg"
    )
    token = report_token(api, "img-exif", "violence", "a")
    response = api.client.get(f"/status/{token}/thumbnail")
    assert response.status_code == 200
    assert b"SyntheticCam" not in response.content and b"secret-editor" not in response.content
    small = Image.open(io.BytesIO(response.content))
    assert small.format == "PNG" and not small.getexif() and small.size == (160, 160)


@pytest.mark.parametrize(
    "category", ["child_sexual_exploitation", "non_consensual_intimate_imagery"]
)
def test_a_sexual_report_on_the_same_image_withholds_it_from_everyone(
    api: Api, category: str
) -> None:
    upload_image(api, "img-2", encoded(synthetic_image(11)))
    harassment = report_token(api, "img-2", "harassment", "a")
    assert api.client.get(f"/status/{harassment}/thumbnail").status_code == 200

    sent = submit_report(
        api.client, content_id="img-2", category=category, reporter_role="third_party"
    )
    assert sent.status_code == 303, sent.text
    sexual = sent.headers["location"].rsplit("/", 1)[1]

    for token in (sexual, harassment):
        assert api.client.get(f"/status/{token}/thumbnail").status_code == 404
        page = api.client.get(f"/status/{token}").text
        assert IMG not in page and "/thumbnail" not in page
        assert "Locker photo" in page  # the title is still shown
    assert thumbnail_files(api) == []  # deleted, not only hidden


def test_a_sexual_report_first_never_shows_a_thumbnail(api: Api) -> None:
    upload_image(api, "img-3", encoded(synthetic_image(12)))
    token = report_token(api, "img-3", "sextortion", "a")
    assert api.client.get(f"/status/{token}/thumbnail").status_code == 404
    later = report_token(api, "img-3", "harassment", "b")
    assert api.client.get(f"/status/{later}/thumbnail").status_code == 404
    assert IMG not in api.client.get(f"/status/{later}").text


def test_an_unknown_token_is_a_404_and_content_ids_are_no_key(api: Api) -> None:
    upload_image(api, "img-4", encoded(synthetic_image(13)))
    report_token(api, "img-4", "harassment", "a")
    assert api.client.get("/status/not-a-real-token/thumbnail").status_code == 404
    assert api.client.get("/status/img-4/thumbnail").status_code == 404


def test_an_item_registered_by_its_hashes_alone_has_no_thumbnail(api: Api) -> None:
    api.register("hashes-only")
    token = report_token(api, "hashes-only", "harassment", "a")
    assert api.client.get(f"/status/{token}/thumbnail").status_code == 404
    assert IMG not in api.client.get(f"/status/{token}").text


def test_after_removal_the_thumbnail_is_gone(api: Api) -> None:
    upload_image(api, "img-5", encoded(synthetic_image(14)))
    out = api.report(content_id="img-5", category="harassment", reporter_role="third_party")
    token = out["status_token"]
    assert api.client.get(f"/status/{token}/thumbnail").status_code == 200

    staff_user(api, "rita", "reviewer")
    decided = decide(api, out["case_id"], "rita", "reviewer", "violating", policy="harassment")
    assert decided.status_code == 200, decided.text
    state = api.client.get("/v1/content/img-5", headers=api.key("platform")).json()["state"]
    assert state == "removed"

    assert api.client.get(f"/status/{token}/thumbnail").status_code == 404
    assert IMG not in api.client.get(f"/status/{token}").text
    assert thumbnail_files(api) == []


def test_an_image_with_a_sexual_report_waiting_for_it_keeps_no_thumbnail(api: Api) -> None:
    # A bystander's report is filed before the platform registers the image.
    waiting = report_token(api, "img-6", "non_consensual_intimate_imagery", "a")
    upload_image(api, "img-6", encoded(synthetic_image(15)))
    assert thumbnail_files(api) == []
    assert api.client.get(f"/status/{waiting}/thumbnail").status_code == 404
