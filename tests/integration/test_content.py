"""Registering uploads: idempotent, authenticated, validated."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from takedown.store.models import ContentItem
from tests.support.factories import Api

MD5 = "0123456789abcdef0123456789abcdef"


def post(api: Api, headers: dict[str, str] | None = None, **form: str):  # type: ignore[no-untyped-def]
    data = {"content_id": "p-1", "account_id": "acct", "signals": json.dumps({"md5": MD5}), **form}
    return api.client.post("/v1/content", data=data, headers=headers or api.key("platform"))


def items(api: Api) -> int:
    with api.runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(ContentItem)) or 0


def test_registration_is_idempotent(api: Api) -> None:
    first = post(api).json()
    second = post(api).json()
    assert first == second
    assert first["verdict"] == "allow" and first["state"] == "visible"
    assert first["signals"]["md5"] == MD5
    assert items(api) == 1


def test_upper_case_hex_is_stored_lower_case(api: Api) -> None:
    out = post(api, signals=json.dumps({"md5": MD5.upper()})).json()
    assert out["signals"]["md5"] == MD5


def test_the_same_content_id_for_another_account_is_a_conflict(api: Api) -> None:
    post(api)
    response = post(api, account_id="someone-else")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "content_account_mismatch"


def test_uploaded_file_gets_exact_digests(api: Api) -> None:
    response = api.client.post(
        "/v1/content",
        data={"content_id": "p-file", "account_id": "acct"},
        files={"file": ("note.bin", b"\x00\x01synthetic bytes", "application/octet-stream")},
        headers=api.key("platform"),
    )
    # Until a file is recognised as media it is refused or hashed exactly; never a 500.
    assert response.status_code in (200, 415, 422), response.text
    if response.status_code == 200:
        import hashlib

        assert (
            response.json()["signals"]["sha256"]
            == hashlib.sha256(b"\x00\x01synthetic bytes").hexdigest()
        )


@pytest.mark.parametrize(
    ("signals", "code"),
    [
        ('{"md5": "xyz"}', "invalid_signals"),
        ('{"pdq": "' + "0" * 63 + '"}', "invalid_signals"),
        ('{"sha1": "' + "0" * 40 + '"}', "unknown_signal"),
        ("[1,2]", "invalid_signals"),
        ("{not json", "malformed_signals"),
        ('{"pdq": "' + "0" * 64 + '", "pdq_quality": 900}', "invalid_signals"),
    ],
)
def test_bad_signals_are_refused_and_nothing_is_stored(api: Api, signals: str, code: str) -> None:
    response = post(api, signals=signals)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == code
    assert items(api) == 0


def test_neither_file_nor_signals_is_refused(api: Api) -> None:
    response = api.client.post(
        "/v1/content", data={"content_id": "p-1", "account_id": "a"}, headers=api.key("platform")
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "missing_media"
    assert items(api) == 0


def test_missing_form_fields_are_a_4xx(api: Api) -> None:
    response = api.client.post(
        "/v1/content", data={"account_id": "a", "signals": "{}"}, headers=api.key("platform")
    )
    assert response.status_code == 422
    assert "content_id" in response.json()["error"]["message"]


def test_auth_is_required_and_checked(api: Api) -> None:
    assert post(api, headers={"X-Nothing": "1"}).json()["error"]["code"] == "missing_api_key"
    wrong = post(api, headers={"Authorization": "Bearer td_not-a-key"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_api_key")
    basic = post(api, headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    reviewer = post(api, headers=api.key("reviewer"))
    assert (reviewer.status_code, reviewer.json()["error"]["code"]) == (403, "forbidden")
    assert items(api) == 0


def test_the_key_is_refused_before_the_form_is_read(api: Api) -> None:
    # The route validates its own form after the key lookup: a bad key with a bad form is
    # still a 401 (or 403 for the wrong role), never a 422 that would let anyone probe it.
    bad_form = {"account_id": "", "kind": "not-a-kind"}
    wrong = api.client.post(
        "/v1/content", data=bad_form, headers={"Authorization": "Bearer td_not-a-key"}
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_api_key")
    reviewer = api.client.post("/v1/content", data=bad_form, headers=api.key("reviewer"))
    assert (reviewer.status_code, reviewer.json()["error"]["code"]) == (403, "forbidden")
    upload = api.client.post(
        "/v1/content",
        data=bad_form,
        files={"file": ("x.bin", b"synthetic", "application/octet-stream")},
        headers=api.key("reviewer"),
    )
    assert upload.status_code == 403
    assert items(api) == 0


def test_form_fields_are_validated_as_declared(api: Api) -> None:
    empty = post(api, content_id="")
    assert empty.status_code == 422
    assert "content_id: Field required" in empty.json()["error"]["message"]
    long = post(api, account_id="a" * 201)
    assert long.status_code == 422 and "account_id" in long.json()["error"]["message"]
    kind = post(api, kind="podcast")
    assert kind.status_code == 422 and "kind" in kind.json()["error"]["message"]
    not_a_file = post(api, file="just text")
    assert not_a_file.status_code == 422 and "file" in not_a_file.json()["error"]["message"]
    assert items(api) == 0


def test_a_body_that_is_not_a_form_is_refused(api: Api) -> None:
    as_json = api.client.post("/v1/content", json={"content_id": "p"}, headers=api.key("platform"))
    assert as_json.status_code == 422 and "account_id" in as_json.json()["error"]["message"]
    broken = api.client.post(
        "/v1/content",
        content=b'--xyz\r\nContent-Disposition: form-data; name="content_id"\r\n\r\np',
        headers={**api.key("platform"), "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert 400 <= broken.status_code < 500
    assert items(api) == 0


def test_the_openapi_schema_describes_the_form(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    body = spec["paths"]["/v1/content"]["post"]["requestBody"]["content"]["multipart/form-data"]
    schema = body["schema"]
    assert set(schema["required"]) == {"content_id", "account_id"}
    assert schema["properties"]["file"] == {"type": "string", "format": "binary", "title": "File"}
    assert schema["properties"]["content_id"]["maxLength"] == 200
    assert "$ref" not in json.dumps(schema)  # the kind's enum is inlined, not left dangling
    assert "text" in json.dumps(schema["properties"]["kind"])


def test_unknown_content_is_a_404(api: Api) -> None:
    response = api.client.get("/v1/content/nope", headers=api.key("platform"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "content_not_found"


def test_staff_endpoints_refuse_platform_keys_and_anonymous_callers(api: Api) -> None:
    assert api.client.get("/v1/cases").status_code == 401
    assert api.client.get("/v1/cases", headers=api.key("platform")).status_code == 403
    assert api.client.get("/v1/cases", headers=api.key("legal")).status_code == 200
    missing = api.client.get("/v1/cases/case_nope", headers=api.key("reviewer"))
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "case_not_found")
    bad_filter = api.client.get("/v1/cases?priority=P9", headers=api.key("reviewer"))
    assert bad_filter.status_code == 422
