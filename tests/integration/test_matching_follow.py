"""Two processes' match indexes follow one database in bounded batches."""

from __future__ import annotations

import hashlib
import random
import threading
from typing import Any

from sqlalchemy import event

from takedown.runtime import Runtime
from takedown.services.match_index import Matcher, MediaQuery
from takedown.store.banks import Bank, BankHash


def _bank_hashes(runtime: Runtime, bank_id: str, values: list[str]) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        if session.get(Bank, bank_id) is None:
            session.add(
                Bank(id=bank_id, name=bank_id, action="block", created_at=now, created_by="t")
            )
            session.flush()
        session.add_all(
            BankHash(
                bank_id=bank_id,
                signal="pdq",
                value=value,
                digest=hashlib.sha256(value.encode()).hexdigest(),
                added_at=now,
                added_by="t",
            )
            for value in values
        )


def test_two_matchers_follow_a_bulk_load_in_batches_and_then_single_adds(
    runtime: Runtime,
) -> None:
    rng = random.Random(7)
    values = [rng.randbytes(32).hex() for _ in range(250)]
    _bank_hashes(runtime, "exchange", values)
    replicas = [Matcher(), Matcher()]
    for matcher in replicas:
        matcher.REFRESH_BATCH = 40  # so 250 rows take seven batches in one refresh
        with runtime.transaction() as session:
            assert matcher.refresh(session) == 250
        assert matcher.size()["bank_hashes"] == 250
    later = [rng.randbytes(32).hex() for _ in range(3)]
    _bank_hashes(runtime, "exchange", later)
    for matcher in replicas:
        with runtime.transaction() as session:
            assert matcher.refresh(session) == 3
            assert matcher.refresh(session) == 0
        for value in (values[0], values[139], values[-1], *later):
            hits = matcher.match_banks(MediaQuery(pdq=[value], pdq_quality=100))
            assert [m.closeness.distance for m in hits] == [0]


def test_callers_arriving_during_a_refresh_share_the_next_one_and_miss_nothing(
    runtime: Runtime,
) -> None:
    """On PostgreSQL (read committed) refreshes coalesce: callers that arrive while one runs
    are served by a single later one, which still sees every row committed before they came."""
    if runtime.engine.dialect.name != "postgresql":
        return  # SQLite keeps one refresh per caller: its snapshot starts with the transaction
    rng = random.Random(11)
    first, late = rng.randbytes(32).hex(), rng.randbytes(32).hex()
    _bank_hashes(runtime, "exchange", [first])
    matcher = Matcher()
    entered, release = threading.Event(), threading.Event()
    bank_queries: list[str] = []

    def hold_the_first(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if "FROM bank_hashes" in statement:
            bank_queries.append(statement)
            if len(bank_queries) == 1:
                entered.set()
                assert release.wait(30)

    def refresh() -> None:
        with runtime.transaction() as session:
            matcher.refresh(session)

    event.listen(runtime.engine, "before_cursor_execute", hold_the_first)
    try:
        leader = threading.Thread(target=refresh)
        leader.start()
        assert entered.wait(30)
        # Committed after the leader's query began: only a later refresh can see it.
        _bank_hashes(runtime, "exchange", [late])
        waiters = [threading.Thread(target=refresh) for _ in range(6)]
        for t in waiters:
            t.start()
        turn = matcher._refresh_turn
        for _ in range(3000):  # until all six wait their turn (bounded)
            with turn:
                if len(turn._waiters) == 6:  # type: ignore[attr-defined]
                    break
            release.wait(0.01)
        release.set()
        for t in (leader, *waiters):
            t.join(30)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", hold_the_first)
    # The leader's, then one more for all six waiters: not one each.
    assert len(bank_queries) == 2, len(bank_queries)
    for value in (first, late):
        hits = matcher.match_banks(MediaQuery(pdq=[value], pdq_quality=100))
        assert [m.closeness.distance for m in hits] == [0]
