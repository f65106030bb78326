"""The tamper-evident audit trail: chained case events, the staff audit log, and the case row
as the projection of its events (API.md, "Audit"; issue 10 item 10)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takedown.cli.main import app
from takedown.domain.vocabulary import EventType
from takedown.runtime import Runtime
from takedown.services import case_log, escalation
from takedown.services.audit_log import StaffAction, record_staff_action
from takedown.services.audit_verify import rebuild_differences, verify
from takedown.store.audit import AuditEntry
from takedown.store.models import Case, CaseEvent
from tests.support.factories import Api
from tests.support.review import decide, staff_user

pytestmark = pytest.mark.audit_trail_broken  # these tests break the trail on purpose


def busy_database(api: Api, cases: int = 24) -> list[str]:
    """Many cases with many kinds of events: reports, copies, priority rises, restrictions,
    escalations, breaches, decisions and claims. Returns the case ids."""
    staff_user(api, "rita", "reviewer")
    ids: list[str] = []
    roles = ["third_party", "parent_guardian", "depicted_person"]
    for n in range(cases):
        api.register(f"busy-{n}", f"acct-{n % 5}")
        for r in range(1 + n % 3):
            receipt = api.report(
                content_id=f"busy-{n}",
                reporter_role=roles[(n + r) % 3],
                category="child_sexual_exploitation" if n % 2 else "harassment",
                depicts_minor=bool(n % 2),
                reporter_account_id=f"reporter-{r}",
            )
        ids.append(receipt["case_id"])
    api.runtime.clock.advance(timedelta(hours=30))
    with api.runtime.transaction() as session:
        escalation.sweep(session, api.runtime.clock.now())
    for case_id in ids[::4]:
        response = decide(api, case_id, "lena", "lead", "violating")
        assert response.status_code in (200, 201), response.text
    return ids


def run_verify(url: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify", "--database-url", url])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_verify_passes_on_a_busy_database(api: Api, database_url: str) -> None:
    ids = busy_database(api)
    with api.runtime.transaction() as session:
        report = verify(session)
        events = session.scalar(select(text("count(*)")).select_from(CaseEvent))
    assert report.intact, [b.describe() for b in report.breaks or []]
    assert report.cases == len(set(ids))
    assert report.events == events and events > 4 * len(set(ids))
    assert report.rebuilt == report.cases  # every case opened here rebuilds from its events
    assert report.audit_entries >= 3  # the keys and the staff user made on the way
    code, output = run_verify(database_url)
    assert code == 0, output
    assert "audit trail intact" in output


def _an_event(runtime: Runtime, seq: int = 2) -> tuple[str, str]:
    with runtime.transaction() as session:
        event = session.scalars(
            select(CaseEvent).where(CaseEvent.seq == seq).order_by(CaseEvent.case_id)
        ).first()
        assert event is not None
        return event.case_id, event.id


def test_verify_names_an_event_edited_by_hand(api: Api, database_url: str) -> None:
    busy_database(api, cases=8)
    case_id, event_id = _an_event(api.runtime)
    with api.runtime.engine.begin() as connection:
        connection.execute(
            text("UPDATE case_events SET actor = 'someone-else' WHERE id = :id"), {"id": event_id}
        )
    code, output = run_verify(database_url)
    assert code == 1
    assert f"case {case_id}: event {event_id} (#2): was altered" in output


def test_verify_names_an_event_whose_data_was_edited_by_hand(api: Api, database_url: str) -> None:
    busy_database(api, cases=8)
    case_id, event_id = _an_event(api.runtime, seq=1)
    with api.runtime.engine.begin() as connection:
        connection.execute(
            text("UPDATE case_events SET data = :d WHERE id = :id"),
            {"id": event_id, "d": '{"report_id": "rep_forged"}'},
        )
    code, output = run_verify(database_url)
    assert code == 1
    assert f"case {case_id}: event {event_id} (#1): was altered" in output


def test_verify_names_an_event_deleted_by_hand(api: Api, database_url: str) -> None:
    busy_database(api, cases=8)
    case_id, event_id = _an_event(api.runtime, seq=2)
    with api.runtime.engine.begin() as connection:
        connection.execute(text("DELETE FROM case_events WHERE id = :id"), {"id": event_id})
    code, output = run_verify(database_url)
    assert code == 1
    assert f"case {case_id}: event #2: is missing (deleted)" in output


def test_verify_names_the_newest_event_deleted_by_hand(api: Api, database_url: str) -> None:
    busy_database(api, cases=8)
    with api.runtime.transaction() as session:
        case = session.scalars(select(Case).order_by(Case.id)).first()
        assert case is not None
        case_id, newest = case.id, case.event_seq
    with api.runtime.engine.begin() as connection:
        connection.execute(
            text("DELETE FROM case_events WHERE case_id = :c AND seq = :s"),
            {"c": case_id, "s": newest},
        )
    code, output = run_verify(database_url)
    assert code == 1
    assert f"case {case_id}: event #{newest}: is missing (deleted)" in output


def test_verify_finds_a_case_row_edited_by_hand(api: Api, database_url: str) -> None:
    ids = busy_database(api, cases=4)
    with api.runtime.engine.begin() as connection:
        connection.execute(text("UPDATE cases SET priority = 'P3' WHERE id = :id"), {"id": ids[0]})
    code, output = run_verify(database_url)
    assert code == 1
    assert f"case {ids[0]}" in output and "differs from what its events add up to in priority" in (
        output
    )


def test_rebuilding_each_case_from_its_events_gives_the_stored_row(api: Api) -> None:
    ids = busy_database(api, cases=10)
    with api.runtime.transaction() as session:
        for case_id in set(ids):
            case = session.get(Case, case_id)
            assert case is not None
            history = case_log.history(session, case_id)
            assert history[0].changes["state"] == "open"  # the opening state is an event's
            assert rebuild_differences(case, history) == []


def test_a_direct_change_to_a_case_is_carried_by_the_next_event(api: Api) -> None:
    """A caller that sets a field and then records loses nothing: the event carries it."""
    ids = busy_database(api, cases=1)
    now = api.runtime.clock.now()
    with api.runtime.transaction() as session:
        case = session.get(Case, ids[0])
        assert case is not None
        case.restrict_required = not case.restrict_required
        assert case_log.unrecorded_changes(session) == {case.id: {"restrict_required": True}} or (
            case_log.unrecorded_changes(session) == {case.id: {"restrict_required": False}}
        )
        event = case_log.record(session, case, EventType.PRIORITY, "system", now, {})
        assert "restrict_required" in event.changes
        assert case_log.unrecorded_changes(session) == {}
    with api.runtime.transaction() as session:
        assert verify(session).intact


def test_concurrent_writers_on_one_case_keep_one_chain(api: Api) -> None:
    """Writers on one case take turns on its row (PostgreSQL: SELECT ... FOR UPDATE)."""
    ids = busy_database(api, cases=1)
    case_id = ids[0]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(5):
                with api.runtime.transaction() as session:
                    case = session.get(Case, case_id)
                    assert case is not None
                    case_log.record(
                        session, case, EventType.NOTIFY, f"w{n}", api.runtime.clock.now(), {"i": i}
                    )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with api.runtime.transaction() as session:
        report = verify(session)
        history = case_log.history(session, case_id)
    assert report.intact, [b.describe() for b in report.breaks or []]
    assert sum(e.type == "notify" for e in history) == 20
    assert [e.seq for e in history] == list(range(1, len(history) + 1))


def test_staff_actions_are_chained_and_an_edit_is_named(api: Api, database_url: str) -> None:
    api.key("platform")
    staff_user(api, "rita", "reviewer")
    with api.runtime.transaction() as session:
        for _ in range(5):
            record_staff_action(
                session, StaffAction.LOGIN_FAILED, "mallory", "rita", api.runtime.clock.now()
            )
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert actions[:2] == ["key.created", "user.created"]
    assert actions.count("login.failed") == 5
    assert run_verify(database_url)[0] == 0
    with api.runtime.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 3"))
    code, output = run_verify(database_url)
    assert code == 1
    assert "audit log: audit entry #3: was altered" in output


def test_deleting_the_newest_staff_action_is_named(api: Api, database_url: str) -> None:
    api.key("platform")
    staff_user(api, "rita", "reviewer")
    with api.runtime.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    code, output = run_verify(database_url)
    assert code == 1
    assert "audit log: audit entry #2: is missing (deleted)" in output


def test_upgrading_chains_the_events_stored_before_the_trail(tmp_path: Path) -> None:
    """A database from before migration 0006 comes out with every old event chained."""
    from takedown.store.database import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine, "0005_bank_hash_case")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO cases (id, priority, state, category, child_safety, "
                    "restrict_required, opened_at, deadline_started_at, deadline_at, updated_at) "
                    "VALUES ('case_old', 'P1', 'open', 'harassment', 0, 0, '2026-01-01 00:00:00',"
                    " '2026-01-01 00:00:00', '2026-01-02 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            for seq, kind in enumerate(["report", "content_linked", "restrict"], start=1):
                connection.execute(
                    text(
                        "INSERT INTO case_events (id, case_id, seq, type, actor, at, data) "
                        "VALUES (:id, 'case_old', :seq, :type, 'system', "
                        "'2026-01-01 00:00:0' || :seq, :data)"
                    ),
                    {"id": f"evt_old{seq}", "seq": seq, "type": kind, "data": '{"n": 1}'},
                )
        upgrade(engine)
        with Session(engine) as session:
            report = verify(session)
            assert report.intact, [b.describe() for b in report.breaks or []]
            assert (report.cases, report.events, report.rebuilt) == (1, 3, 0)
        with engine.begin() as connection:
            connection.execute(text("UPDATE case_events SET type = 'decide' WHERE id = 'evt_old2'"))
        with Session(engine) as session:
            assert [b.event_id for b in verify(session).breaks or []] == ["evt_old2"]
    finally:
        engine.dispose()


def test_logins_failed_logins_and_settings_are_in_the_audit_log(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient

    from takedown.services import access
    from tests.support.staff_web import hidden, sign_in

    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    staff_user(api, "rita", "reviewer")
    browser = TestClient(api.client.app)
    form = browser.get("/staff/login")
    wrong = browser.post(
        "/staff/login",
        data={
            "name": "rita",
            "password": "not her password",
            "login_token": hidden(form.text, "login_token"),
        },
    )
    assert wrong.status_code == 401
    csrf = sign_in(browser, "rita")
    saved = browser.post("/staff/settings", data={"blur_px": "30", "csrf_token": csrf})
    assert saved.status_code == 200
    with api.runtime.transaction() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    trail = [(e.action, e.actor, e.target) for e in entries]
    assert trail[-3:] == [
        ("login.failed", "rita", "rita"),
        ("login.succeeded", "rita", "rita"),
        ("settings.changed", "rita", "rita"),
    ]
    assert "not her password" not in str([e.data for e in entries])
    assert entries[-1].data == {"blur_px": 30, "greyscale": False}
