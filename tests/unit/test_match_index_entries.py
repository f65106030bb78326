"""A replica's bank entries live in arrays: one code per bank and signal, found by id."""

from __future__ import annotations

from takedown.services.match_index import BankEntry, _BankHashes

LOCAL = ("b1", "local", "block", True, None)
EXCHANGE = ("b2", "exchange", "review", False, 20)


def test_entries_are_found_by_id_including_rows_that_commit_late() -> None:
    entries = _BankHashes()
    local_pdq = entries.code(LOCAL, "pdq")
    exchange_md5 = entries.code(EXCHANGE, "md5")
    assert entries.code(LOCAL, "pdq") == local_pdq  # one code per bank and signal
    entries.add([1, 2, 5], [local_pdq, exchange_md5, local_pdq])
    entries.add([3, 7], [exchange_md5, local_pdq])  # 3 committed after 5 was read
    for i in range(3000):  # growth past the first arrays keeps what was there
        entries.add([8 + i], [local_pdq])
    assert len(entries) == 3005
    assert entries.entry(2) == BankEntry(2, "b2", "exchange", "md5", "review", False, 20)
    assert entries.entry(3) == BankEntry(3, "b2", "exchange", "md5", "review", False, 20)
    assert entries.entry(7) == BankEntry(7, "b1", "local", "pdq", "block", True, None)
    assert entries.entry(3007) == BankEntry(3007, "b1", "local", "pdq", "block", True, None)
    assert entries.entry(4) is None
    assert entries.entry(6) is None
    assert entries.entry(10_000) is None
    assert entries.entry(0) is None
