"""signals.turns.TurnLock: first come, first served, re-entrant, and no barging."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from takedown.signals.index import PdqIndex
from takedown.signals.turns import TurnLock


def _until_queued(lock: TurnLock, waiting: int) -> None:
    # Polling the lock's own queue until the threads started have joined it, not a timed wait.
    for _ in range(10_000_000):
        if len(lock._waiting) == waiting:
            return
    raise AssertionError(f"{waiting} waiters never queued")


def test_waiters_take_the_lock_in_the_order_they_asked() -> None:
    lock = TurnLock()
    order: list[str] = []

    def take(name: str) -> None:
        with lock:
            order.append(name)

    lock.acquire()
    threads = []
    for n, name in enumerate(["first", "second", "third"]):
        thread = threading.Thread(target=take, args=(name,))
        thread.start()
        _until_queued(lock, n + 1)
        threads.append(thread)
    lock.release()
    for thread in threads:
        thread.join()
    assert order == ["first", "second", "third"]


def test_a_releasing_thread_cannot_take_the_lock_back_before_the_waiter() -> None:
    """What an RLock allows and what starved adds behind lookups (issue 15)."""
    lock = TurnLock()
    order: list[str] = []

    def waiter() -> None:
        with lock:
            order.append("waiter")

    lock.acquire()
    thread = threading.Thread(target=waiter)
    thread.start()
    _until_queued(lock, 1)
    lock.release()
    with lock:  # at once, while the waiter may not even have been scheduled yet
        order.append("releaser")
    thread.join()
    assert order == ["waiter", "releaser"]


def test_it_is_reentrant_and_only_its_holder_may_release_it() -> None:
    lock = TurnLock()
    with lock, lock:
        assert lock._depth == 2
    taken = threading.Event()

    def other() -> None:
        with lock:
            taken.set()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert taken.is_set()  # fully released by the two exits
    with pytest.raises(RuntimeError):
        lock.release()


def test_single_adds_and_back_to_back_lookups_alternate() -> None:
    """Single adds and a thread looking up without pause take turns at the index: neither
    starves the other (with an RLock 10^5 adds took 224 s beside such a thread)."""
    index = PdqIndex(delta_limit=64)
    rng = np.random.default_rng(3)
    index.add_words(np.arange(1_000_000), rng.integers(0, 2**63, (1_000_000, 4), dtype=np.uint64))
    index.settle()
    query = "f" * 64
    lookups = 0
    stop = threading.Event()

    def look() -> None:
        nonlocal lookups
        while not stop.is_set():
            index.search(query, 31)
            lookups += 1

    looker = threading.Thread(target=look)
    looker.start()
    try:
        while not lookups:
            pass  # the lookup thread is running before the adds begin
        before = lookups
        adds = 300
        words = rng.integers(0, 2**63, (adds, 4), dtype=np.uint64)
        for n in range(adds):
            index.add_words(np.array([1_000_000 + n]), words[n : n + 1])
        during = lookups - before
    finally:
        stop.set()
        looker.join()
    index.settle()
    assert len(index) == 1_000_000 + adds
    # Strict turns give one lookup per add; an RLock gave 0.3 or 4 a run, by which thread
    # happened to barge.
    assert adds // 2 <= during <= 2 * adds, (during, adds)


def test_a_waiter_that_gives_up_leaves_the_queue_and_passes_on_a_handover() -> None:
    lock = TurnLock()
    gate = threading.Lock()
    lock.acquire()
    with lock._mutex:  # a waiter queued, then interrupted before it was handed the lock
        lock._waiting.append(gate)
    lock._give_up(gate)
    assert not lock._waiting
    lock.release()
    assert lock._owner is None

    handed = threading.Lock()
    handed.acquire()
    lock.acquire()
    with lock._mutex:
        lock._waiting.append(handed)
    lock.release()  # hands over to the queued gate's thread...
    assert lock._owner == -1
    lock._give_up(handed)  # ...which gave up at that moment: it passes the lock on
    assert lock._owner is None
    with lock:  # and the lock is free to take
        pass
