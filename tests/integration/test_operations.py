"""Health, metrics and the published schema."""

from __future__ import annotations

from tests.support.factories import Api


def test_healthz_answers_when_the_database_does(api: Api) -> None:
    response = api.client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_healthz_reports_a_dead_database_as_503(api: Api) -> None:
    api.runtime.engine.dispose()
    from sqlalchemy import create_engine

    api.runtime.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = api.client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"


def test_metrics_count_reports_and_waiting_cases(api: Api) -> None:
    api.register("p-1")
    api.report(content_id="p-1", reporter_role="depicted_person", depicts_minor=True)
    text = api.client.get("/metrics", headers=api.key("admin")).text
    assert 'takedown_reports_total{category="child_sexual_exploitation",priority="P0"} 1.0' in text
    assert 'takedown_cases_awaiting_decision{priority="P0"} 1.0' in text
    # No webhook endpoint is registered: the one pending job is the hidden item's evidence copy.
    assert "takedown_outbox_pending 1.0" in text


def test_openapi_names_the_contract_paths(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/content",
        "/v1/content/{content_id}",
        "/v1/reports",
        "/v1/status/{status_token}",
        "/v1/webhooks",
        "/v1/cases",
        "/v1/cases/{case_id}",
        "/v1/cases/{case_id}/events",
    ):
        assert path in paths, path


def test_unknown_route_and_method_use_the_error_shape(api: Api) -> None:
    missing = api.client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = api.client.delete("/v1/reports")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
